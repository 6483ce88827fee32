//! The console's look: its own templates (`themes/admin/`) and texts for every page it draws,
//! error pages included, never a gemeente's theme.

use minijinja::Value;
use parkportal_domain::Language;
use parkportal_web::AppError;
use parkportal_web::i18n::Catalogues;
use parkportal_web::page::{Look, Page};
use parkportal_web::templates::Templates;
use poem::web::Html;

/// The console's templates and catalogues.
pub struct ConsoleLook {
    templates: Templates,
    catalogues: Catalogues,
}

impl ConsoleLook {
    /// On the console's templates and its catalogues (the shared ones with its own texts).
    pub fn new(templates: Templates, catalogues: Catalogues) -> Self {
        Self {
            templates,
            catalogues,
        }
    }

    /// Translates `key` in `language` with `{name}` placeholders filled from `args`.
    pub fn text_with(&self, language: Language, key: &str, args: &[(&str, String)]) -> String {
        self.catalogues.text(language, key, args)
    }

    /// The catalogues (the catalogue test holds the console's keys to both languages).
    pub fn catalogues(&self) -> &Catalogues {
        &self.catalogues
    }
}

impl Look for ConsoleLook {
    fn render(&self, _page: &Page, template: &str, ctx: Value) -> Result<Html<String>, AppError> {
        self.templates
            .render_console(template, ctx)
            .map(Html)
            .map_err(AppError::internal)
    }

    fn text(&self, language: Language, key: &str) -> String {
        self.catalogues.text(language, key, &[])
    }
}
