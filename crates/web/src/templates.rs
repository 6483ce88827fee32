//! The minijinja environments, one per theme folder under `themes/`. A theme may override any
//! template of `themes/default`, which is complete; templates end in `.html`, so minijinja escapes
//! everything they print.

use crate::i18n::Catalogues;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use parkportal_domain::{Language, ThemeName};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of the staff console's own templates under `themes/`.
pub const CONSOLE: &str = "admin";

/// The templates of all themes.
pub struct Templates {
    envs: HashMap<String, Environment<'static>>,
}

impl Templates {
    /// Loads every theme folder of `themes_dir`; `default` must exist.
    pub fn load(themes_dir: &Path, catalogues: &Catalogues) -> Result<Self, String> {
        let default_dir = themes_dir.join("default").join("templates");
        if !default_dir.is_dir() {
            return Err(format!(
                "the default theme is missing: {} is not a folder",
                default_dir.display()
            ));
        }
        let catalogues = Arc::new(catalogues.clone());
        let mut envs = HashMap::new();
        let entries = std::fs::read_dir(themes_dir)
            .map_err(|e| format!("cannot read {}: {e}", themes_dir.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // The console's own templates are never a gemeente's theme (see `Templates::console`).
            if !entry.path().is_dir() || ThemeName::parse(&name).is_err() || name == CONSOLE {
                continue;
            }
            let dirs = vec![entry.path().join("templates"), default_dir.clone()];
            envs.insert(name, environment(dirs, catalogues.clone()));
        }
        Ok(Self { envs })
    }

    /// The staff console's templates: `themes/admin/templates` alone, with nothing of any
    /// gemeente's theme or the default one (a beheerder who breaks a theme still sees the page
    /// that repairs it), translating with `catalogues`.
    pub fn console(themes_dir: &Path, catalogues: &Catalogues) -> Result<Self, String> {
        let dir = themes_dir.join(CONSOLE).join("templates");
        if !dir.is_dir() {
            return Err(format!(
                "the console's templates are missing: {} is not a folder",
                dir.display()
            ));
        }
        let env = environment(vec![dir], Arc::new(catalogues.clone()));
        Ok(Self {
            envs: HashMap::from([(CONSOLE.to_owned(), env)]),
        })
    }

    /// Renders template `name` of `theme` (the default theme when the gemeente's is unknown).
    pub fn render(&self, theme: &ThemeName, name: &str, ctx: Value) -> Result<String, Error> {
        let env = self
            .envs
            .get(theme.as_str())
            .or_else(|| self.envs.get("default"))
            .ok_or_else(|| Error::new(ErrorKind::TemplateNotFound, "no default theme"))?;
        env.get_template(name)?.render(ctx)
    }

    /// Renders template `name` of the console's templates (see [`Templates::console`]).
    pub fn render_console(&self, name: &str, ctx: Value) -> Result<String, Error> {
        let env = self
            .envs
            .get(CONSOLE)
            .ok_or_else(|| Error::new(ErrorKind::TemplateNotFound, "no console templates"))?;
        env.get_template(name)?.render(ctx)
    }

    /// The names of the loaded themes.
    pub fn themes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.envs.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

fn environment(dirs: Vec<PathBuf>, catalogues: Arc<Catalogues>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_loader(move |name| {
        if name
            .split(['/', '\\'])
            .any(|part| part == ".." || part.is_empty())
        {
            return Ok(None);
        }
        for dir in &dirs {
            let path = dir.join(name);
            if path.is_file() {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("cannot read {}", path.display()),
                    )
                    .with_source(e)
                });
            }
        }
        Ok(None)
    });
    env.add_function(
        "t",
        move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, Error> {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(|s| Language::parse(s).ok()))
                .unwrap_or_default();
            let mut args = Vec::new();
            for name in kwargs.args() {
                let value: Value = kwargs.get(name)?;
                args.push((name, value.to_string()));
            }
            Ok(catalogues.text(lang, key, &args))
        },
    );
    env
}
