//! What a request answered, read once: status, headers and body text.

use super::html::Html;
use serde_json::Value;

/// A typed answer: the status, the headers and the body as text, with readers for HTML and JSON.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Response {
    /// Reads `resp` to its end.
    pub async fn read(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Self {
            status,
            headers,
            text,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Header `name`, if present (panics if it is not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Where a redirect sends the client; panics without a `Location`.
    pub fn location(&self) -> &str {
        self.header("location").expect("a Location header")
    }

    /// The body as text, as sent.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The body read as HTML.
    pub fn html(&self) -> Html {
        Html::parse(&self.text)
    }

    /// The body read as JSON (`Null` when it is not JSON, as [`super::call`] has it).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}
