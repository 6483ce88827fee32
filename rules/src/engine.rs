//! The hardened rhai engine that runs a gemeente's rule scripts.
//!
//! Administrators write these scripts, so a wrong or hostile one must never crash, hang or fool
//! the server: every run is bounded in operations, call depth, expression depth, string, array and
//! map sizes and wall-clock time; there are no modules, no `eval`, no output and no file or
//! network access. A script compiles once per version and the compiled form is shared by every
//! request and thread. Any error, limit hit or wrong return type is a [`HookError`], which the
//! decision layer turns into a denial with reason `rule_error`, never an allow.

use rhai::{
    AST, CallFnOptions, Dynamic, Engine, EvalAltResult, Map, OptimizationLevel, Position, Scope,
};
use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The limits of the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations one hook call may perform.
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Expression depth at the top level and inside functions.
    pub max_expr_depth: usize,
    /// Characters in one string.
    pub max_string_size: usize,
    /// Items in one array.
    pub max_array_size: usize,
    /// Entries in one map.
    pub max_map_size: usize,
    /// Wall-clock time one hook call may take.
    pub wall_clock: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 200_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 4_096,
            max_array_size: 1_024,
            max_map_size: 256,
            wall_clock: Duration::from_millis(100),
        }
    }
}

thread_local! {
    /// When the hook call running on this thread must stop. Hook calls are synchronous, so the
    /// deadline of the call in progress is always this thread's.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// A script that does not compile, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{script}:{line}:{column}: {message}")]
pub struct CompileError {
    /// The script's name (its file name).
    pub script: String,
    /// Line, from 1 (0 when unknown).
    pub line: usize,
    /// Column, from 1 (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A hook call that failed: a runtime error, a limit hit or a wrong return type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{function}: {message}")]
pub struct HookError {
    /// The hook.
    pub function: String,
    /// What went wrong, with the position in the script when known.
    pub message: String,
}

/// The shared, hardened engine.
pub struct RuleEngine {
    engine: Engine,
    limits: Limits,
}

impl std::fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEngine")
            .field("limits", &self.limits)
            .finish()
    }
}

impl RuleEngine {
    /// An engine with `limits`.
    pub fn new(limits: Limits) -> Self {
        let mut engine = Engine::new();
        engine
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_levels)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_variables(256)
            .set_max_functions(64)
            .set_strict_variables(true)
            .set_optimization_level(OptimizationLevel::Simple);
        engine.disable_symbol("eval");
        // Scripts have no output channel: print and debug go nowhere.
        engine.on_print(|_| {});
        engine.on_debug(|_, _, _| {});
        engine.on_progress(|_| {
            let late = DEADLINE
                .with(|d| d.get())
                .is_some_and(|deadline| Instant::now() > deadline);
            late.then(|| Dynamic::from("the wall-clock guard stopped the script"))
        });
        Self { engine, limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Compiles `source`; `name` is used in error messages (`bezoekers.rhai:3:7: ...`).
    pub fn compile(&self, name: &str, source: &str) -> Result<CompiledScript, CompileError> {
        let ast = self.engine.compile(source).map_err(|e| {
            let (line, column) = position(e.position());
            CompileError {
                script: name.to_owned(),
                line,
                column,
                message: e.err_type().to_string(),
            }
        })?;
        Ok(CompiledScript {
            name: name.to_owned(),
            ast: Arc::new(ast),
        })
    }

    /// Calls hook `function` of `script` with `ctx`, or `None` when the script does not define
    /// it (the built-in default then applies).
    pub fn call(
        &self,
        script: &CompiledScript,
        function: &str,
        ctx: &Map,
    ) -> Option<Result<Dynamic, HookError>> {
        if !script.defines(function) {
            return None;
        }
        let deadline = Instant::now() + self.limits.wall_clock;
        let previous = DEADLINE.with(|d| d.replace(Some(deadline)));
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = self.engine.call_fn_with_options::<Dynamic>(
            options,
            &mut Scope::new(),
            &script.ast,
            function,
            (Dynamic::from_map(ctx.clone()),),
        );
        DEADLINE.with(|d| d.set(previous));
        Some(result.map_err(|e| HookError {
            function: function.to_owned(),
            message: describe(&e),
        }))
    }
}

fn position(p: Position) -> (usize, usize) {
    (p.line().unwrap_or(0), p.position().unwrap_or(0))
}

fn describe(e: &EvalAltResult) -> String {
    let (line, column) = position(e.position());
    let what = match e {
        EvalAltResult::ErrorTerminated(reason, _) => reason.to_string(),
        other => other.to_string(),
    };
    if line > 0 {
        format!("{what} (line {line}, column {column})")
    } else {
        what
    }
}

/// A compiled script, cheap to clone and share between threads.
#[derive(Clone)]
pub struct CompiledScript {
    name: String,
    ast: Arc<AST>,
}

impl std::fmt::Debug for CompiledScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledScript")
            .field("name", &self.name)
            .finish()
    }
}

impl CompiledScript {
    /// The script's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the script defines `function(ctx)`.
    pub fn defines(&self, function: &str) -> bool {
        self.ast
            .iter_functions()
            .any(|f| f.name == function && f.params.len() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> RuleEngine {
        RuleEngine::new(Limits {
            wall_clock: Duration::from_millis(50),
            ..Limits::default()
        })
    }

    fn run(source: &str, function: &str) -> Result<Dynamic, HookError> {
        let e = engine();
        let script = e.compile("test.rhai", source).unwrap();
        e.call(&script, function, &Map::new()).unwrap()
    }

    #[test]
    fn compile_errors_name_script_line_and_column() {
        let err = engine()
            .compile(
                "bezoekers.rhai",
                "fn max_concurrent_sessions(ctx) {\n  let x = ;\n}",
            )
            .unwrap_err();
        assert_eq!((err.script.as_str(), err.line), ("bezoekers.rhai", 2));
        assert!(err.column > 0);
        assert!(err.to_string().starts_with("bezoekers.rhai:2:"), "{err}");
    }

    #[test]
    fn decimal_literals_and_ordinary_hooks_work() {
        let v = run(
            "fn top_up_cap(ctx) { #{ period: \"calendar_year\", limit: 150.50 } }",
            "top_up_cap",
        )
        .unwrap();
        let map = v.try_cast::<Map>().unwrap();
        assert_eq!(map["limit"].as_decimal().unwrap().to_string(), "150.50");
    }

    #[test]
    fn a_missing_hook_is_none_and_top_level_code_never_runs() {
        let e = engine();
        let script = e
            .compile("t.rhai", "loop {}\nfn mandates_available(ctx) { false }")
            .unwrap();
        assert!(
            e.call(&script, "end_of_day_deactivation", &Map::new())
                .is_none()
        );
        assert_eq!(
            e.call(&script, "mandates_available", &Map::new())
                .unwrap()
                .unwrap()
                .as_bool(),
            Ok(false)
        );
    }

    #[test]
    fn hostile_scripts_are_stopped() {
        let cases = [
            ("fn h(ctx) { loop {} }", "operations or wall clock"),
            ("fn h(ctx) { h(ctx) }", "recursion"),
            (
                "fn h(ctx) { let s = \"x\"; loop { s += s; } }",
                "string growth",
            ),
            (
                "fn h(ctx) { let a = []; loop { a.push(1); } }",
                "array growth",
            ),
            (
                "fn h(ctx) { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }",
                "map growth",
            ),
            ("fn h(ctx) { no_such_function(1) }", "unknown function"),
            ("fn h(ctx) { eval(\"1\") }", "eval"),
            ("fn h(ctx) { undefined_variable }", "unknown variable"),
        ];
        for (source, what) in cases {
            match engine().compile("hostile.rhai", source) {
                Ok(script) => {
                    let result = engine().call(&script, "h", &Map::new()).unwrap();
                    assert!(result.is_err(), "{what} was not stopped");
                }
                // Some are refused when compiled, which is as good.
                Err(e) => assert!(!e.message.is_empty(), "{what}"),
            }
        }
    }

    #[test]
    fn the_wall_clock_guard_stops_a_slow_script() {
        let e = RuleEngine::new(Limits {
            max_operations: u64::MAX / 2,
            wall_clock: Duration::from_millis(50),
            ..Limits::default()
        });
        let script = e
            .compile("slow.rhai", "fn h(ctx) { let i = 0; loop { i += 1; } }")
            .unwrap();
        let err = e.call(&script, "h", &Map::new()).unwrap().unwrap_err();
        assert!(err.message.contains("wall-clock guard"), "{err}");
    }

    #[test]
    fn the_engine_is_shared_across_threads_and_a_hostile_call_leaves_others_alone() {
        let e = Arc::new(engine());
        let hostile = e.compile("hostile.rhai", "fn h(ctx) { loop {} }").unwrap();
        let fine = e.compile("fine.rhai", "fn h(ctx) { 10 }").unwrap();
        let bad = {
            let (e, s) = (e.clone(), hostile.clone());
            std::thread::spawn(move || e.call(&s, "h", &Map::new()).unwrap())
        };
        for _ in 0..100 {
            assert_eq!(
                e.call(&fine, "h", &Map::new()).unwrap().unwrap().as_int(),
                Ok(10)
            );
        }
        assert!(bad.join().unwrap().is_err());
    }
}
