//! A small reader of the portal's HTML: forms with their fields, links by their text, table rows
//! and the text a resident reads, so that tests assert on those rather than on substrings of the
//! markup. It reads what our templates write (well-formed, quoted attributes); it is no browser.

/// One piece of a page.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    End(String),
    Text(String),
}

/// Elements that never have content or an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements whose edges separate words in the text a resident reads.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "br",
    "button",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "label",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// A page read into its tags and texts.
#[derive(Debug, Clone)]
pub struct Html {
    tokens: Vec<Token>,
}

/// A form as a browser would send it.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Where it is sent (the `action` attribute, entities decoded; empty: the page itself).
    pub action: String,
    /// `get` or `post`, lower case (`get` when absent, as in a browser).
    pub method: String,
    /// Its fields in document order.
    pub fields: Vec<Field>,
    /// The texts of its buttons.
    pub buttons: Vec<String>,
}

/// A field of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The `name`.
    pub name: String,
    /// `input`'s type (`text` when absent), or `select` / `textarea`.
    pub kind: String,
    /// The value it holds: `value`, a textarea's text, a select's selected (or first) option.
    pub value: String,
    /// Whether a checkbox or radio button is ticked.
    pub checked: bool,
    /// Its `autocomplete` attribute, if it has one.
    pub autocomplete: Option<String>,
}

impl Form {
    /// The value of the first field `name`, if the form has one. For radio buttons, the ticked.
    pub fn value(&self, name: &str) -> Option<&str> {
        let mut named = self.fields.iter().filter(|f| f.name == name).peekable();
        let first = named.peek().copied()?;
        if first.kind == "radio" {
            return named.find(|f| f.checked).map(|f| f.value.as_str());
        }
        Some(first.value.as_str())
    }

    /// Whether the form has a field `name`.
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }

    /// What a browser sends: every named field (checkboxes and radio buttons only when ticked,
    /// buttons never), with `overrides` replacing or adding fields.
    pub fn submission(&self, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut sent: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|f| !matches!(f.kind.as_str(), "submit" | "button" | "reset" | "image"))
            .filter(|f| !matches!(f.kind.as_str(), "checkbox" | "radio") || f.checked)
            .filter(|f| !overrides.iter().any(|(name, _)| *name == f.name))
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        sent.extend(
            overrides
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        sent
    }
}

impl Html {
    /// Reads `source`.
    pub fn parse(source: &str) -> Self {
        Self {
            tokens: tokenize(source),
        }
    }

    /// The text a resident reads, entities decoded and white space collapsed.
    pub fn text(&self) -> String {
        text_of(&self.tokens)
    }

    /// Whether the text a resident reads contains `needle`.
    pub fn contains_text(&self, needle: &str) -> bool {
        self.text().contains(needle)
    }

    /// The text of the first element `name` (`h1`, `title`, ...).
    pub fn first(&self, name: &str) -> Option<String> {
        self.starts(name).next().map(|i| text_of(self.content(i)))
    }

    /// The text of the element with id `id`.
    pub fn by_id(&self, id: &str) -> Option<String> {
        self.tokens
            .iter()
            .position(|t| attr_of(t, "id") == Some(id))
            .map(|i| text_of(self.content(i)))
    }

    /// The messages (`pp-message`) of the page in order: their kind (`info`, `ok`, `warning`,
    /// `error`, or `none`), their role and their text.
    pub fn messages(&self) -> Vec<(String, Option<String>, String)> {
        (0..self.tokens.len())
            .filter_map(|i| {
                let class = attr_of(&self.tokens[i], "class")?;
                let classes: Vec<&str> = class.split_whitespace().collect();
                if !classes.contains(&"pp-message") {
                    return None;
                }
                let kind = ["info", "ok", "warning", "error"]
                    .into_iter()
                    .find(|k| classes.contains(&format!("pp-message--{k}").as_str()))
                    .unwrap_or("none");
                let role = attr_of(&self.tokens[i], "role").map(str::to_owned);
                Some((kind.to_owned(), role, text_of(self.content(i))))
            })
            .collect()
    }

    /// The value of attribute `attr` of the element with id `id`, if both are there.
    pub fn attr(&self, id: &str, attr: &str) -> Option<String> {
        self.tokens
            .iter()
            .find(|t| attr_of(t, "id") == Some(id))
            .and_then(|t| attr_of(t, attr))
            .map(str::to_owned)
    }

    /// The `content` of `<meta name="{name}">`, if the page has one.
    pub fn meta(&self, name: &str) -> Option<String> {
        self.starts("meta")
            .find(|&i| attr_of(&self.tokens[i], "name") == Some(name))
            .and_then(|i| attr_of(&self.tokens[i], "content"))
            .map(str::to_owned)
    }

    /// Every link: its text and its `href`, entities decoded.
    pub fn links(&self) -> Vec<(String, String)> {
        self.starts("a")
            .filter_map(|i| {
                let href = attr_of(&self.tokens[i], "href")?;
                Some((text_of(self.content(i)), href.to_owned()))
            })
            .collect()
    }

    /// The `href` of the link that reads `text`; panics, listing the links, when there is none.
    pub fn link(&self, text: &str) -> String {
        let links = self.links();
        links
            .iter()
            .find(|(t, _)| t == text)
            .map(|(_, href)| href.clone())
            .unwrap_or_else(|| panic!("no link {text:?} among {links:?}"))
    }

    /// Whether some link goes to `href`.
    pub fn links_to(&self, href: &str) -> bool {
        self.links().iter().any(|(_, h)| h == href)
    }

    /// The `src` of every script the page loads.
    pub fn scripts(&self) -> Vec<String> {
        self.starts("script")
            .filter_map(|i| attr_of(&self.tokens[i], "src").map(str::to_owned))
            .collect()
    }

    /// Every form.
    pub fn forms(&self) -> Vec<Form> {
        self.starts("form").map(|i| self.form_at(i)).collect()
    }

    /// The form sent to `action`; panics, listing the forms' actions, when there is none.
    pub fn form(&self, action: &str) -> Form {
        let forms = self.forms();
        forms
            .iter()
            .find(|f| f.action == action)
            .cloned()
            .unwrap_or_else(|| {
                let actions: Vec<_> = forms.iter().map(|f| f.action.as_str()).collect();
                panic!("no form to {action:?} among {actions:?}")
            })
    }

    /// The rows of every table, each as the texts of its cells (`th` and `td`).
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.starts("tr")
            .map(|i| {
                let row = self.content(i);
                (0..row.len())
                    .filter(|&j| matches!(&row[j], Token::Start { name, .. } if name == "td" || name == "th"))
                    .map(|j| text_of(content(row, j)))
                    .collect()
            })
            .collect()
    }

    /// The row whose first cell reads `first`; panics, listing the rows, when there is none.
    pub fn row(&self, first: &str) -> Vec<String> {
        let rows = self.rows();
        rows.iter()
            .find(|r| r.first().is_some_and(|c| c == first))
            .cloned()
            .unwrap_or_else(|| panic!("no row starting with {first:?} among {rows:?}"))
    }

    /// Where the elements `name` start.
    fn starts<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..self.tokens.len())
            .filter(move |&i| matches!(&self.tokens[i], Token::Start { name: n, .. } if n == name))
    }

    /// What the element starting at `i` holds.
    fn content(&self, i: usize) -> &[Token] {
        content(&self.tokens, i)
    }

    fn form_at(&self, i: usize) -> Form {
        let attr = |name| {
            attr_of(&self.tokens[i], name)
                .unwrap_or_default()
                .to_owned()
        };
        let method = match attr("method").to_ascii_lowercase() {
            m if m.is_empty() => "get".to_owned(),
            m => m,
        };
        let inner = self.content(i);
        let mut fields = Vec::new();
        let mut buttons = Vec::new();
        for (j, token) in inner.iter().enumerate() {
            let Token::Start { name: tag, .. } = token else {
                continue;
            };
            let name = attr_of(token, "name").map(str::to_owned);
            match tag.as_str() {
                "input" => {
                    let kind = attr_of(token, "type")
                        .unwrap_or("text")
                        .to_ascii_lowercase();
                    let value = attr_of(token, "value").unwrap_or_default().to_owned();
                    if matches!(kind.as_str(), "submit" | "button") {
                        buttons.push(value.clone());
                    }
                    if let Some(name) = name {
                        let checked = attr_of(token, "checked").is_some();
                        fields.push(Field {
                            name,
                            kind,
                            value,
                            checked,
                            autocomplete: attr_of(token, "autocomplete").map(str::to_owned),
                        });
                    }
                }
                "textarea" => {
                    if let Some(name) = name {
                        let value: String = content(inner, j)
                            .iter()
                            .filter_map(|t| match t {
                                Token::Text(s) => Some(s.as_str()),
                                _ => None,
                            })
                            .collect();
                        // As a browser reads it: one newline right after the tag is not text.
                        let value = value.strip_prefix('\n').map(str::to_owned).unwrap_or(value);
                        fields.push(Field {
                            name,
                            kind: "textarea".into(),
                            value,
                            checked: false,
                            autocomplete: attr_of(token, "autocomplete").map(str::to_owned),
                        });
                    }
                }
                "select" => {
                    if let Some(name) = name {
                        let options: Vec<_> = content(inner, j)
                            .iter()
                            .filter(|t| matches!(t, Token::Start { name, .. } if name == "option"))
                            .collect();
                        let chosen = options
                            .iter()
                            .find(|o| attr_of(o, "selected").is_some())
                            .or_else(|| options.first());
                        let value = chosen
                            .and_then(|o| attr_of(o, "value"))
                            .unwrap_or_default()
                            .to_owned();
                        fields.push(Field {
                            name,
                            kind: "select".into(),
                            value,
                            checked: false,
                            autocomplete: attr_of(token, "autocomplete").map(str::to_owned),
                        });
                    }
                }
                "button" => {
                    buttons.push(text_of(content(inner, j)));
                    if let Some(name) = name {
                        fields.push(Field {
                            name,
                            kind: "submit".into(),
                            value: attr_of(token, "value").unwrap_or_default().to_owned(),
                            checked: false,
                            autocomplete: attr_of(token, "autocomplete").map(str::to_owned),
                        });
                    }
                }
                _ => {}
            }
        }
        Form {
            action: attr("action"),
            method,
            fields,
            buttons,
        }
    }
}

/// What the element starting at `i` of `tokens` holds (nothing for a void element).
fn content(tokens: &[Token], i: usize) -> &[Token] {
    let Token::Start { name, .. } = &tokens[i] else {
        return &[];
    };
    if VOID.contains(&name.as_str()) {
        return &[];
    }
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(i + 1) {
        match token {
            Token::Start { name: n, .. } if n == name => depth += 1,
            Token::End(n) if n == name => {
                if depth == 0 {
                    return &tokens[i + 1..j];
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    &tokens[i + 1..]
}

fn attr_of<'a>(token: &'a Token, name: &str) -> Option<&'a str> {
    match token {
        Token::Start { attrs, .. } => attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str()),
        _ => None,
    }
}

/// The text of `tokens`, with block edges as spaces and white space collapsed.
fn text_of(tokens: &[Token]) -> String {
    let mut text = String::new();
    for token in tokens {
        match token {
            Token::Text(s) => text.push_str(s),
            Token::Start { name, .. } | Token::End(name) if BLOCK.contains(&name.as_str()) => {
                text.push(' ');
            }
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Undoes the character references minijinja and our templates write.
fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn tokenize(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else if rest.starts_with("<!") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').unwrap_or(after.len());
            tokens.push(Token::End(after[..end].trim().to_ascii_lowercase()));
            rest = after.get(end + 1..).unwrap_or("");
        } else if rest.starts_with('<') && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            let (token, after) = start_tag(&rest[1..]);
            rest = after;
            if let Token::Start { name, .. } = &token
                && (name == "script" || name == "style")
            {
                let close = format!("</{name}");
                let end = rest.find(&close).unwrap_or(rest.len());
                rest = &rest[end..];
            }
            tokens.push(token);
        } else {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..].find('<').map_or(rest.len(), |i| i + first);
            tokens.push(Token::Text(decode(&rest[..end])));
            rest = &rest[end..];
        }
    }
    tokens
}

/// Reads a start tag after its `<`: the token and what follows the tag.
fn start_tag(source: &str) -> (Token, &str) {
    let is_name_end = |c: char| c.is_whitespace() || c == '>' || c == '/';
    let end = source.find(is_name_end).unwrap_or(source.len());
    let name = source[..end].to_ascii_lowercase();
    let mut rest = &source[end..];
    let mut attrs = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
            rest = after;
            break;
        }
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('/') {
            rest = after;
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let key = rest[..end].to_ascii_lowercase();
        rest = rest[end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let inner = &after[1..];
                let close = inner.find(quote).unwrap_or(inner.len());
                value = decode(&inner[..close]);
                rest = inner.get(close + 1..).unwrap_or("");
            } else {
                let close = after
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(after.len());
                value = decode(&after[..close]);
                rest = &after[close..];
            }
        }
        attrs.push((key, value));
    }
    (Token::Start { name, attrs }, rest)
}

#[test]
fn the_reader_finds_forms_links_rows_and_text() {
    let page = Html::parse(
        "<!doctype html><html><head><title>T &amp; U</title><style>a{}</style></head><body>\
         <h1>Favorieten (1)</h1><a href=\"&#x2f;menu\">Menu</a>\
         <form method=\"post\" action=\"&#x2f;x?a=1&amp;b=2\"><input type=\"hidden\" name=\"csrf\" value=\"t\">\
         <label for=\"n\">Naam</label><input id=\"n\" name=\"naam\" value=\"O&#x27;ma\" required>\
         <input type=\"checkbox\" name=\"ja\" value=\"1\"><input type=\"radio\" name=\"r\" value=\"a\">\
         <input type=\"radio\" name=\"r\" value=\"b\" checked><select name=\"s\"><option value=\"1\">1</option>\
         <option value=\"2\" selected>2</option></select><textarea name=\"t\">a&lt;b</textarea>\
         <button type=\"submit\">Opslaan</button></form>\
         <table><tr><th>Kenteken</th><th>Naam</th></tr><tr><td>12-GBD-3</td><td><strong>Oma</strong></td></tr></table>\
         <p id=\"p\">Oma: <b>12</b>-GBD</p><p>€ 2,00</p></body></html>",
    );
    assert_eq!(page.first("title").as_deref(), Some("T & U"));
    assert_eq!(page.meta("csrf-token"), None);
    let head = Html::parse(
        "<head><meta charset=\"utf-8\"><meta name=\"csrf-token\" content=\"abc\"></head>",
    );
    assert_eq!(head.meta("csrf-token").as_deref(), Some("abc"));
    assert_eq!(page.first("h1").as_deref(), Some("Favorieten (1)"));
    assert_eq!(page.link("Menu"), "/menu");
    assert!(page.links_to("/menu"));
    let form = page.form("/x?a=1&b=2");
    assert_eq!(form.method, "post");
    assert_eq!(form.value("naam"), Some("O'ma"));
    assert_eq!(form.value("r"), Some("b"));
    assert_eq!(form.value("s"), Some("2"));
    assert_eq!(form.value("t"), Some("a<b"));
    assert_eq!(form.buttons, vec!["Opslaan".to_owned()]);
    assert_eq!(
        form.submission(&[("naam", "Opa")]),
        [
            ("csrf", "t"),
            ("r", "b"),
            ("s", "2"),
            ("t", "a<b"),
            ("naam", "Opa")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(page.row("12-GBD-3"), vec!["12-GBD-3", "Oma"]);
    assert_eq!(page.rows().len(), 2);
    assert_eq!(page.by_id("p").as_deref(), Some("Oma: 12-GBD"));
    assert!(
        page.contains_text("Favorieten (1) Menu Naam"),
        "{}",
        page.text()
    );
    assert!(!page.contains_text("a{}"));
    assert!(page.contains_text("12-GBD € 2,00"));
}
