//! An SVG logo written back through an allow-list. The file is parsed as XML without a DTD (so no
//! entity is ever expanded) and with a bounded number of nodes; only known drawing elements and
//! attributes are written out again, so that nothing unknown (a script, an event handler, a
//! `foreignObject`, a reference to another file or host) survives, whatever its spelling.
//! References stay inside the file (`#id`); the one exception is a PNG embedded as a `data:` URL,
//! which is checked as an uploaded PNG is.

use super::LogoProblem;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The most nodes a logo may have: a detailed logo has a few thousand.
const NODES_LIMIT: u32 = 50_000;

/// The deepest nesting of elements written back: a logo nests a handful; the writer recurses,
/// and a file nesting thousands deep would exhaust its thread's stack.
pub const MAX_DEPTH: usize = 64;

/// The most elements all `<use>`s together may repeat: each draws its target again, and
/// repeated repeats (a "billion laughs" of references) would flood whoever draws the logo.
const USE_BUDGET: usize = 20_000;

/// Elements that draw, group, or define what others use.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "marker",
    "image",
    "style",
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feFlood",
    "feGaussianBlur",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "feFuncR",
    "feFuncG",
    "feFuncB",
    "feFuncA",
    "feDropShadow",
];

/// Elements left out while their content is kept: a link around the drawing, a choice between
/// alternatives (each of which is sanitised on its own).
const UNWRAPPED: &[&str] = &["a", "switch"];

/// Elements whose text content is shown or used.
const WITH_TEXT: &[&str] = &["title", "desc", "text", "tspan", "textPath", "style"];

/// Geometry, presentation and accessibility attributes; `href` is checked apart.
const ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "style",
    "transform",
    "version",
    "viewBox",
    "preserveAspectRatio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "fr",
    "d",
    "points",
    "pathLength",
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "startOffset",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "color",
    "display",
    "visibility",
    "overflow",
    "clip-path",
    "clip-rule",
    "clipPathUnits",
    "mask",
    "maskUnits",
    "maskContentUnits",
    "filter",
    "filterUnits",
    "primitiveUnits",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "marker-start",
    "marker-mid",
    "marker-end",
    "markerWidth",
    "markerHeight",
    "markerUnits",
    "refX",
    "refY",
    "orient",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "font-variant",
    "text-anchor",
    "text-decoration",
    "dominant-baseline",
    "alignment-baseline",
    "baseline-shift",
    "letter-spacing",
    "word-spacing",
    "writing-mode",
    "paint-order",
    "vector-effect",
    "shape-rendering",
    "text-rendering",
    "image-rendering",
    "color-interpolation-filters",
    "in",
    "in2",
    "result",
    "mode",
    "operator",
    "k1",
    "k2",
    "k3",
    "k4",
    "stdDeviation",
    "values",
    "type",
    "tableValues",
    "slope",
    "intercept",
    "amplitude",
    "exponent",
    "radius",
    "flood-color",
    "flood-opacity",
    "role",
    "aria-label",
    "aria-labelledby",
    "aria-describedby",
    "aria-hidden",
    "focusable",
    "lang",
];

/// A sanitised SVG: the text written back, and what was left out (`<script>`, `onload`, ...),
/// each once, for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanSvg {
    /// The SVG as stored and served.
    pub text: String,
    /// What was removed, in the order of its names.
    pub removed: Vec<String>,
}

/// Parses `text` and writes back what the allow-list keeps.
pub fn sanitise(text: &str) -> Result<CleanSvg, LogoProblem> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => LogoProblem::Dtd,
        other => LogoProblem::NotXml(other.to_string()),
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || !is_svg(&root) {
        return Err(LogoProblem::NoSvgRoot);
    }
    let mut writer = Writer {
        out: String::with_capacity(text.len()),
        removed: BTreeSet::new(),
        xlink: false,
        repeats: repeats(&doc),
        budget: USE_BUDGET,
        too_deep: false,
    };
    writer.element(root, 0);
    if writer.too_deep {
        return Err(LogoProblem::TooDeep);
    }
    let mut text = writer.out;
    if writer.xlink {
        // The root was written first; its namespace for `xlink:href` goes in after its own.
        text = text.replacen(
            &format!("xmlns=\"{SVG_NS}\""),
            &format!("xmlns=\"{SVG_NS}\" xmlns:xlink=\"{XLINK_NS}\""),
            1,
        );
    }
    if !draws_something(&text) {
        return Err(LogoProblem::NothingLeft);
    }
    Ok(CleanSvg {
        text,
        removed: writer.removed.into_iter().collect(),
    })
}

/// Whether an element is in the SVG namespace (or in none, as a hand-written file may be).
fn is_svg(node: &roxmltree::Node) -> bool {
    matches!(node.tag_name().namespace(), None | Some(SVG_NS))
}

/// Whether anything drawable is left in the written SVG.
fn draws_something(text: &str) -> bool {
    [
        "<path", "<rect", "<circle", "<ellipse", "<line", "<poly", "<text", "<image", "<use",
    ]
    .iter()
    .any(|e| text.contains(e))
}

/// Per id, how many elements a `<use>` of it draws (its element and all below it), and whether
/// a `<use>` is among them.
fn repeats(doc: &roxmltree::Document) -> HashMap<String, (usize, bool)> {
    doc.descendants()
        .filter(roxmltree::Node::is_element)
        .filter_map(|n| {
            let id = n.attribute("id")?;
            let below = n.descendants().filter(roxmltree::Node::is_element);
            let (count, nested) = below.fold((0, false), |(c, u), d| {
                (c + 1, u || d.tag_name().name() == "use")
            });
            Some((id.to_owned(), (count, nested)))
        })
        .collect()
}

struct Writer {
    out: String,
    removed: BTreeSet<String>,
    xlink: bool,
    /// What a `<use>` of each id would draw (see [`repeats`]).
    repeats: HashMap<String, (usize, bool)>,
    /// What `<use>`s may still repeat.
    budget: usize,
    /// Set when the nesting passed [`MAX_DEPTH`]: nothing written counts.
    too_deep: bool,
}

impl Writer {
    fn element(&mut self, node: roxmltree::Node, depth: usize) {
        if depth > MAX_DEPTH || self.too_deep {
            self.too_deep = true;
            return;
        }
        let root = depth == 0;
        let name = node.tag_name().name();
        if !is_svg(&node) {
            self.removed.insert(format!("<{name}>"));
            return;
        }
        if UNWRAPPED.contains(&name) {
            self.removed.insert(format!("<{name}>"));
            self.children(node, false, depth);
            return;
        }
        if !ELEMENTS.contains(&name) {
            self.removed.insert(format!("<{name}>"));
            return;
        }
        if matches!(name, "use" | "image") {
            let hrefs = node
                .attributes()
                .filter(|a| a.name() == "href" && matches!(a.namespace(), None | Some(XLINK_NS)));
            let mut refused = None;
            let mut allowed = false;
            for href in hrefs {
                if href_allowed(name, href.value()) && self.may_repeat(name, href.value()) {
                    allowed = true;
                } else if href.namespace() == Some(XLINK_NS) {
                    refused = Some("xlink:href".to_owned());
                } else {
                    refused = Some("href".to_owned());
                }
            }
            // Without a reference it may keep, it draws nothing: left out whole.
            if !allowed {
                self.removed
                    .insert(refused.unwrap_or_else(|| format!("<{name}>")));
                return;
            }
        }
        // A stylesheet only of text (no comment or element to hide part of it), safe as a whole.
        if name == "style"
            && !node
                .children()
                .all(|c| c.is_text() && css_is_safe(c.text().unwrap_or_default()))
        {
            self.removed.insert("<style>".to_owned());
            return;
        }
        self.out.push('<');
        self.out.push_str(name);
        if root {
            let _ = write!(self.out, " xmlns=\"{SVG_NS}\"");
        }
        for attr in node.attributes() {
            self.attribute(name, attr);
        }
        let has_children = node
            .children()
            .any(|c| c.is_element() || (c.is_text() && WITH_TEXT.contains(&name)));
        if !has_children {
            self.out.push_str("/>");
            return;
        }
        self.out.push('>');
        self.children(node, WITH_TEXT.contains(&name), depth);
        let _ = write!(self.out, "</{name}>");
    }

    /// Whether a `<use>` of `href` fits what may still be repeated: its target holds no `<use>`
    /// itself (no repeats of repeats) and is no larger than the budget left.
    fn may_repeat(&mut self, element: &str, href: &str) -> bool {
        if element != "use" {
            return true;
        }
        let id = href.trim().trim_start_matches('#');
        match self.repeats.get(id) {
            Some((count, false)) if *count <= self.budget => {
                self.budget -= count;
                true
            }
            _ => false,
        }
    }

    fn children(&mut self, node: roxmltree::Node, with_text: bool, depth: usize) {
        for child in node.children() {
            if child.is_element() {
                self.element(child, depth + 1);
            } else if child.is_text() && with_text {
                self.out
                    .push_str(&escape(child.text().unwrap_or_default(), false));
            }
        }
    }

    fn attribute(&mut self, element: &str, attr: roxmltree::Attribute) {
        let (name, value) = (attr.name(), attr.value());
        let written = match attr.namespace() {
            None if name == "href" => href_allowed(element, value).then(|| name.to_owned()),
            Some(XLINK_NS) if name == "href" => {
                let ok = href_allowed(element, value);
                self.xlink |= ok;
                ok.then(|| "xlink:href".to_owned())
            }
            Some(XML_NS) if name == "space" || name == "lang" => Some(format!("xml:{name}")),
            None if ATTRIBUTES.contains(&name) && value_is_safe(name, value) => {
                Some(name.to_owned())
            }
            _ => None,
        };
        match written {
            Some(written) => {
                let _ = write!(self.out, " {written}=\"{}\"", escape(value, true));
            }
            None => {
                let shown = match attr.namespace() {
                    Some(XLINK_NS) => format!("xlink:{name}"),
                    _ => name.to_owned(),
                };
                self.removed.insert(shown);
            }
        }
    }
}

/// A reference inside the file, or a PNG embedded in an `<image>` that passes the PNG check.
fn href_allowed(element: &str, value: &str) -> bool {
    let value = value.trim();
    if let Some(fragment) = value.strip_prefix('#') {
        return element != "image" && is_name(fragment);
    }
    element == "image"
        && value
            .strip_prefix("data:image/png;base64,")
            .and_then(base64_decode)
            .is_some_and(|png| super::png::check(&png).is_ok())
}

/// Whether `s` is an id as logos use them (no characters that could start anything else).
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// Whether a presentation value stays inside the file: `url(...)` only as `url(#id)`, and the
/// `style` attribute as a stylesheet would be.
fn value_is_safe(name: &str, value: &str) -> bool {
    if name == "style" {
        return css_is_safe(value);
    }
    // No backslash: a CSS escape (`u\72l(`) would spell what the check looks for.
    urls_are_local(value)
        && value
            .chars()
            .all(|c| c != '\\' && (!c.is_control() || c == '\n' || c == '\t'))
}

/// Whether every `url(` in `value` names a fragment of this file.
fn urls_are_local(value: &str) -> bool {
    let folded = value.to_ascii_lowercase();
    folded.match_indices("url(").all(|(i, _)| {
        let rest = folded[i + 4..].trim_start_matches([' ', '"', '\'']);
        rest.starts_with('#')
    })
}

/// A stylesheet of plain selectors and declarations: only the characters those need (so no
/// escape, no at-rule, no comment trick), and references only to fragments of this file.
fn css_is_safe(css: &str) -> bool {
    let folded = css.to_ascii_lowercase();
    css.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || c.is_ascii_whitespace()
            || "#.,:;{}()%-_*>+~\"'!=[]".contains(c)
    }) && urls_are_local(css)
        && ![
            "expression",
            "javascript",
            "behavior",
            "binding",
            "image-set",
        ]
        .iter()
        .any(|w| folded.contains(w))
}

/// `s` with the characters XML gives meaning escaped (and `"` in attribute values).
fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (white space allowed, as in a wrapped data URL); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(b: u8) -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let body = digits
        .strip_suffix(b"==")
        .or_else(|| digits.strip_suffix(b"="));
    let body = body.unwrap_or(&digits);
    if !digits.len().is_multiple_of(4) || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            acc |= sextet(*b)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> CleanSvg {
        sanitise(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_plain_logo_is_written_back_as_it_was() {
        let logo = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-labelledby="t"><title id="t">Dijk &amp; stad</title><rect width="64" height="64" rx="10" fill="#0b4f6c"/><path d="M6 38 L22 22 Z" fill="url(#g)"/></svg>"##;
        let out = clean(logo);
        assert_eq!(out.text, logo);
        assert!(out.removed.is_empty());
        assert_eq!(
            clean(&out.text).text,
            out.text,
            "sanitising twice changes nothing"
        );
    }

    #[test]
    fn what_could_run_or_load_is_removed() {
        let cases: &[(&str, &str)] = &[
            (r#"<svg><script>alert(1)</script><rect/></svg>"#, "<script>"),
            (r#"<svg onload="x()"><rect/></svg>"#, "onload"),
            (r#"<svg><rect ONCLICK="x()"/></svg>"#, "ONCLICK"),
            (
                r#"<svg><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject><rect/></svg>"#,
                "<foreignObject>",
            ),
            (
                r#"<svg><image href="https://tracker.example/x.png"/><rect/></svg>"#,
                "href",
            ),
            (
                r#"<svg xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="//tracker.example/x.png"/><rect/></svg>"#,
                "xlink:href",
            ),
            (
                r#"<svg><use href="data:image/svg+xml;base64,PHN2Zz4="/><rect/></svg>"#,
                "href",
            ),
            (r#"<svg><a href="javascript:x()"><rect/></a></svg>"#, "<a>"),
            (
                r#"<svg><rect fill="url(https://x.example/p.svg#a)"/><circle/></svg>"#,
                "fill",
            ),
            (
                r#"<svg><rect style="fill:url(//x.example/a)"/><circle/></svg>"#,
                "style",
            ),
            (
                r#"<svg><style>@import url(https://x.example/a.css);</style><rect/></svg>"#,
                "<style>",
            ),
            (
                r#"<svg><set attributeName="onmouseover" to="alert(1)"/><rect/></svg>"#,
                "<set>",
            ),
            (
                r#"<svg><animate attributeName="href" to="javascript:alert(1)"/><rect/></svg>"#,
                "<animate>",
            ),
            (r#"<svg><iframe src="x"/><rect/></svg>"#, "<iframe>"),
        ];
        for (svg, removed) in cases {
            let out = clean(svg);
            assert!(out.removed.iter().any(|r| r == removed), "{svg}: {out:?}");
            let rest = out
                .text
                .to_ascii_lowercase()
                .replace(&SVG_NS.to_ascii_lowercase(), "")
                .replace(&XLINK_NS.to_ascii_lowercase(), "");
            for bad in [
                "script",
                "onload",
                "onclick",
                "foreignobject",
                "http",
                "//",
                "data:",
                "javascript",
                "@import",
                "<set",
                "<animate",
                "iframe",
            ] {
                assert!(!rest.contains(bad), "{svg} kept {bad}: {}", out.text);
            }
        }
    }

    #[test]
    fn what_a_check_of_one_part_would_miss_is_removed_too() {
        // A comment first in a stylesheet hides nothing: the whole of it is checked.
        let hidden =
            r#"<svg><style><!---->@import url(https://x.example/a.css);</style><rect/></svg>"#;
        let out = clean(hidden);
        assert!(!out.text.contains("import"), "{}", out.text);
        assert_eq!(
            clean(&out.text).text,
            out.text,
            "sanitising twice changes nothing"
        );
        // A CSS escape spells `url(` to a browser.
        let escaped = r#"<svg><rect fill="u\72l(https://x.example/p.svg#a)"/><circle/></svg>"#;
        let out = clean(escaped);
        assert!(out.removed.contains(&"fill".to_owned()), "{out:?}");
        assert!(!out.text.contains("x.example"));
    }

    #[test]
    fn nesting_too_deep_is_refused_and_repeats_of_repeats_are_removed() {
        let deep = format!(
            "<svg>{}<rect/>{}</svg>",
            "<g>".repeat(30_000),
            "</g>".repeat(30_000)
        );
        assert_eq!(sanitise(&deep), Err(LogoProblem::TooDeep));
        let fine = format!(
            "<svg>{}<rect/>{}</svg>",
            "<g>".repeat(60),
            "</g>".repeat(60)
        );
        assert!(sanitise(&fine).is_ok());
        // Ten levels of ten references each: only the first level (of plain shapes) stays.
        let mut laughs = String::from(r#"<svg><defs><g id="l0"><rect/></g>"#);
        for level in 1..10 {
            laughs.push_str(&format!(r#"<g id="l{level}">"#));
            for _ in 0..10 {
                laughs.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
            }
            laughs.push_str("</g>");
        }
        laughs.push_str(r##"</defs><use href="#l9"/><use href="#l0"/></svg>"##);
        let out = clean(&laughs);
        assert_eq!(out.text.matches("<use").count(), 10 + 1, "{}", out.text);
        assert!(out.text.contains(r##"<use href="#l0"/>"##));
        assert!(!out.text.contains(r##"href="#l1""##));
    }

    #[test]
    fn entities_are_refused_before_anything_is_expanded() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><svg><text>&c;</text></svg>"#;
        assert_eq!(sanitise(bomb), Err(LogoProblem::Dtd));
        let external = r#"<!DOCTYPE svg SYSTEM "http://x.example/svg.dtd"><svg><rect/></svg>"#;
        assert_eq!(sanitise(external), Err(LogoProblem::Dtd));
    }

    #[test]
    fn a_file_that_is_no_svg_or_keeps_nothing_is_refused() {
        assert!(matches!(
            sanitise("<svg><rect></svg>"),
            Err(LogoProblem::NotXml(_))
        ));
        assert_eq!(
            sanitise("<html><rect/></html>"),
            Err(LogoProblem::NoSvgRoot)
        );
        assert_eq!(
            sanitise(r#"<svg><script>x()</script></svg>"#),
            Err(LogoProblem::NothingLeft)
        );
        let deep = format!("<svg>{}</svg>", "<g/>".repeat(60_000));
        assert!(matches!(sanitise(&deep), Err(LogoProblem::NotXml(_))));
    }

    #[test]
    fn an_embedded_png_stays_when_it_passes_the_png_check() {
        let png = super::super::png::tests::tiny_png();
        let encoded = base64_encode(&png);
        let svg = format!(
            r#"<svg><image width="1" height="1" href="data:image/png;base64,{encoded}"/></svg>"#
        );
        let out = clean(&svg);
        assert!(out.text.contains("data:image/png;base64,"), "{out:?}");
        let bad = r#"<svg><image href="data:image/png;base64,iVBORw0KGgo="/><rect/></svg>"#;
        assert!(!clean(bad).text.contains("data:"));
        assert_eq!(base64_decode("aGk="), Some(b"hi".to_vec()));
        assert_eq!(base64_decode("aGk"), None);
    }

    fn base64_encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut acc = 0u32;
            for (i, b) in chunk.iter().enumerate() {
                acc |= u32::from(*b) << (16 - 8 * i);
            }
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((acc >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
