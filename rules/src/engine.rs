//! The hardened rhai engine that runs a gemeente's rule scripts.
//!
//! Administrators write these scripts, so a wrong or hostile one must never crash, hang or fool
//! the server: every run is bounded in operations, call depth, expression depth, string, array and
//! map sizes and wall-clock time; there are no modules, no `eval`, no output and no file or
//! network access. A script compiles once per version and the compiled form is shared by every
//! request and thread. Any error, limit hit or wrong return type is a [`RuleError`], which the
//! decision layer turns into a denial with reason `rule_error`, never an allow.

use parkportal_domain::parking::RuleError;
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

/// The largest rule script accepted: rules are short; a huge one is a mistake or an attack.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024;

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

    /// Runs `f` (a decision of several hook calls) with one wall-clock budget for all of them:
    /// twice the per-call guard. The budget ends with `f`.
    pub fn within_budget<T>(&self, f: impl FnOnce() -> T) -> T {
        let budget = Instant::now() + self.limits.wall_clock * 2;
        let previous = DEADLINE.with(|d| d.replace(Some(budget)));
        let result = f();
        DEADLINE.with(|d| d.set(previous));
        result
    }

    /// Compiles `source`; `name` is used in error messages (`bezoekers.rhai:3:7: ...`). Scripts
    /// larger than [`MAX_SCRIPT_BYTES`] are refused before parsing.
    pub fn compile(&self, name: &str, source: &str) -> Result<CompiledScript, CompileError> {
        if source.len() > MAX_SCRIPT_BYTES {
            return Err(CompileError {
                script: name.to_owned(),
                line: 0,
                column: 0,
                message: format!("the script is larger than {} KiB", MAX_SCRIPT_BYTES / 1024),
            });
        }
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
    ) -> Option<Result<Dynamic, RuleError>> {
        if !script.defines(function) {
            return None;
        }
        // A call gets the per-call guard, but never outlives the budget of the decision it is
        // part of (see `within_budget`).
        let own = Instant::now() + self.limits.wall_clock;
        let previous = DEADLINE.with(|d| d.get());
        let deadline = previous.map_or(own, |outer| outer.min(own));
        DEADLINE.with(|d| d.set(Some(deadline)));
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = self.engine.call_fn_with_options::<Dynamic>(
            options,
            &mut Scope::new(),
            &script.ast,
            function,
            (Dynamic::from_map(ctx.clone()),),
        );
        DEADLINE.with(|d| d.set(previous));
        Some(result.map_err(|e| {
            let (function, message) = (function.to_owned(), describe(&e));
            if hit_a_limit(&e) {
                RuleError::LimitExceeded { function, message }
            } else {
                RuleError::Runtime { function, message }
            }
        }))
    }
}

fn position(p: Position) -> (usize, usize) {
    (p.line().unwrap_or(0), p.position().unwrap_or(0))
}

/// Whether `e` is the sandbox stopping a script (rather than the script failing on its own),
/// also when it happened in a function the hook called.
fn hit_a_limit(e: &EvalAltResult) -> bool {
    match e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => hit_a_limit(inner),
        EvalAltResult::ErrorTooManyOperations(_)
        | EvalAltResult::ErrorTooManyVariables(_)
        | EvalAltResult::ErrorStackOverflow(_)
        | EvalAltResult::ErrorDataTooLarge(..)
        | EvalAltResult::ErrorTerminated(..) => true,
        _ => false,
    }
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

    /// The functions the script defines, with their number of parameters.
    pub fn functions(&self) -> Vec<(String, usize)> {
        self.ast
            .iter_functions()
            .map(|f| (f.name.to_owned(), f.params.len()))
            .collect()
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

    fn run(source: &str, function: &str) -> Result<Dynamic, RuleError> {
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
    fn hostile_scripts_are_stopped_by_the_limit_meant_for_them() {
        // Each with a generous operation limit, so that the size and depth limits must do the work.
        let e = RuleEngine::new(Limits {
            max_operations: 5_000_000,
            wall_clock: Duration::from_millis(500),
            ..Limits::default()
        });
        let cases = [
            ("fn h(ctx) { h(ctx) }", "Stack overflow", true),
            (
                "fn h(ctx) { let s = \"x\"; loop { s += s; } }",
                "Length of string",
                true,
            ),
            (
                "fn h(ctx) { let a = []; loop { a.push(1); } }",
                "Size of array",
                true,
            ),
            (
                "fn h(ctx) { no_such_function(1) }",
                "Function not found",
                false,
            ),
        ];
        for (source, expected, limit) in cases {
            let script = e.compile("hostile.rhai", source).unwrap();
            let err = e.call(&script, "h", &Map::new()).unwrap().unwrap_err();
            assert!(err.message().contains(expected), "{source}: {err}");
            assert_eq!(
                matches!(err, RuleError::LimitExceeded { .. }),
                limit,
                "{source}: {err:?}"
            );
        }
        // rhai does not size-check a map grown by indexing; the operation limit and the
        // wall-clock guard stop that one (and bound the memory it can take).
        let script = e
            .compile(
                "map.rhai",
                "fn h(ctx) { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }",
            )
            .unwrap();
        assert!(e.call(&script, "h", &Map::new()).unwrap().is_err());
        let limited = engine();
        let script = limited
            .compile("loop.rhai", "fn h(ctx) { loop {} }")
            .unwrap();
        let err = limited
            .call(&script, "h", &Map::new())
            .unwrap()
            .unwrap_err();
        assert!(
            err.message().contains("Too many operations") || err.message().contains("wall-clock"),
            "{err}"
        );
        assert!(matches!(err, RuleError::LimitExceeded { .. }), "{err:?}");
    }

    #[test]
    fn eval_closures_and_huge_scripts_do_not_compile() {
        let e = engine();
        assert!(e.compile("eval.rhai", "fn h(ctx) { eval(\"1\") }").is_err());
        assert!(
            e.compile("undefined.rhai", "fn h(ctx) { undefined_variable }")
                .is_err(),
            "strict variables"
        );
        assert!(
            e.compile(
                "closure.rhai",
                "fn h(ctx) { let a = []; let f = || a; a.push(f); 1 }"
            )
            .is_err()
        );
        let huge = format!(
            "fn h(ctx) {{ 1 }}\n{}",
            "// filler\n".repeat(MAX_SCRIPT_BYTES / 10)
        );
        assert!(
            e.compile("huge.rhai", &huge)
                .unwrap_err()
                .message
                .contains("larger than")
        );
    }

    #[test]
    fn a_decision_budget_ends_every_call_made_after_it() {
        let e = RuleEngine::new(Limits {
            wall_clock: Duration::from_millis(20),
            ..Limits::default()
        });
        let script = e
            .compile("quick.rhai", "fn h(ctx) { let i = 0; i += 1; i }")
            .unwrap();
        // The budget (twice the per-call guard) is spent before the call: the call is stopped,
        // although on its own it would have had a fresh 20 ms.
        let late = e.within_budget(|| {
            std::thread::sleep(Duration::from_millis(60));
            e.call(&script, "h", &Map::new()).unwrap()
        });
        assert!(late.unwrap_err().message().contains("wall-clock guard"));
        // The budget ends with the decision.
        assert_eq!(
            e.call(&script, "h", &Map::new()).unwrap().unwrap().as_int(),
            Ok(1)
        );
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
        assert!(err.message().contains("wall-clock guard"), "{err}");
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
