//! A fake of Mollie's payments API on 127.0.0.1, with the documented shapes: the amount's value
//! a string with two decimals, `_links.checkout.href`, 201 on create, `Idempotency-Key`
//! honoured, and a webhook that is a form POST carrying only `id`; refunds of a paid payment
//! (`POST /payments/{id}/refunds`, 201 with status `queued`, at most what is left of it).

use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, Request, Response, Route, Server, get, handler, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The API key the tests configure.
pub const API_KEY: &str = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";

#[derive(Default)]
pub struct Book {
    /// Payments by id: (amount value, status, webhook URL, description).
    pub payments: HashMap<String, (String, String, String, String)>,
    /// Idempotency key → payment id.
    pub keys: HashMap<String, String>,
    /// Every create request's body.
    pub creates: Vec<Value>,
    /// When set, every request answers 500 (Mollie down).
    pub down: bool,
    /// When set, a fetched payment reports this amount instead of its own.
    pub report_amount: Option<String>,
    /// Refunds made: (refund id, payment id, amount value, idempotency key).
    pub refunds: Vec<(String, String, String, String)>,
    /// Every refund request's body.
    pub refund_bodies: Vec<Value>,
    /// When set, every refund is refused with 422 (as Mollie refuses one it cannot make).
    pub refuse_refunds: bool,
}

/// The fake server.
#[derive(Clone)]
pub struct FakeMollie {
    pub book: Arc<Mutex<Book>>,
    pub base_url: String,
}

fn payment_json(
    base: &str,
    id: &str,
    (value, status, webhook, description): &(String, String, String, String),
) -> Value {
    let mut links = json!({
        "self": {"href": format!("{base}/payments/{id}"), "type": "application/hal+json"},
        "dashboard": {"href": format!("https://my.mollie.com/dashboard/payments/{id}"), "type": "text/html"},
    });
    if status == "open" {
        links["checkout"] = json!({"href": format!("{base}/checkout/{id}"), "type": "text/html"});
    }
    json!({
        "resource": "payment",
        "id": id,
        "mode": "test",
        "createdAt": "2026-03-02T09:00:00+00:00",
        "amount": {"value": value, "currency": "EUR"},
        "description": description,
        "method": "ideal",
        "status": status,
        "isCancelable": false,
        "webhookUrl": webhook,
        "_links": links,
    })
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/hal+json")
        .body(json!({"status": status.as_u16(), "title": title, "detail": detail}).to_string())
}

fn authorised(req: &Request) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {API_KEY}"))
}

/// The book, for an authorised request while the fake is up; else Mollie's problem answer.
fn open_book<'a>(
    req: &Request,
    fake: &'a FakeMollie,
) -> Result<std::sync::MutexGuard<'a, Book>, Box<Response>> {
    if !authorised(req) {
        return Err(Box::new(problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized Request",
            "Missing authentication, or failed to authenticate",
        )));
    }
    let book = fake.book.lock().unwrap();
    if book.down {
        return Err(Box::new(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "down",
        )));
    }
    Ok(book)
}

/// The request's `Idempotency-Key` (empty without one).
fn idempotency_key(req: &Request) -> String {
    req.headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[handler]
fn create(req: &Request, Json(body): Json<Value>, fake: Data<&FakeMollie>) -> Response {
    let mut book = match open_book(req, &fake) {
        Ok(book) => book,
        Err(refused) => return *refused,
    };
    book.creates.push(body.clone());
    let key = idempotency_key(req);
    let value = body["amount"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if body["amount"]["currency"] != "EUR" || value.split('.').nth(1).map(str::len) != Some(2) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "The amount is invalid",
        );
    }
    let id = match book.keys.get(&key) {
        Some(id) if !key.is_empty() => id.clone(),
        _ => {
            let id = format!("tr_{}", 1000 + book.payments.len());
            let entry = (
                value,
                "open".to_owned(),
                body["webhookUrl"].as_str().unwrap_or_default().to_owned(),
                body["description"].as_str().unwrap_or_default().to_owned(),
            );
            book.payments.insert(id.clone(), entry);
            book.keys.insert(key, id.clone());
            id
        }
    };
    let json = payment_json(&fake.base_url, &id, &book.payments[&id]);
    Response::builder()
        .status(StatusCode::CREATED)
        .content_type("application/hal+json")
        .body(json.to_string())
}

#[handler]
fn fetch(req: &Request, Path(id): Path<String>, fake: Data<&FakeMollie>) -> Response {
    if !authorised(req) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized Request",
            "Missing authentication",
        );
    }
    let book = fake.book.lock().unwrap();
    if book.down {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "down",
        );
    }
    match book.payments.get(&id) {
        Some(p) => {
            let mut p = p.clone();
            if let Some(amount) = &book.report_amount {
                p.0 = amount.clone();
            }
            Response::builder()
                .content_type("application/hal+json")
                .body(payment_json(&fake.base_url, &id, &p).to_string())
        }
        None => problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            "No payment exists with token",
        ),
    }
}

fn cents(value: &str) -> Option<i64> {
    let (euros, cents) = value.split_once('.')?;
    (cents.len() == 2).then_some(euros.parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?)
}

#[handler]
fn refund(
    req: &Request,
    Path(id): Path<String>,
    Json(body): Json<Value>,
    fake: Data<&FakeMollie>,
) -> Response {
    let mut book = match open_book(req, &fake) {
        Ok(book) => book,
        Err(refused) => return *refused,
    };
    book.refund_bodies.push(body.clone());
    let key = idempotency_key(req);
    let value = body["amount"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let answer = |refund: &(String, String, String, String)| {
        Response::builder()
            .status(StatusCode::CREATED)
            .content_type("application/hal+json")
            .body(
                json!({
                    "resource": "refund", "id": refund.0, "paymentId": refund.1,
                    "amount": {"value": refund.2, "currency": "EUR"}, "status": "queued",
                    "description": body["description"], "createdAt": "2026-03-02T09:00:00+00:00",
                })
                .to_string(),
            )
    };
    if let Some(made) = book.refunds.iter().find(|r| !key.is_empty() && r.3 == key) {
        return answer(made);
    }
    let Some(paid) = book.payments.get(&id).filter(|p| p.1 == "paid").cloned() else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "The payment cannot be refunded",
        );
    };
    let refunded: i64 = book
        .refunds
        .iter()
        .filter(|r| r.1 == id)
        .filter_map(|r| cents(&r.2))
        .sum();
    let asked = cents(&value);
    if book.refuse_refunds
        || body["amount"]["currency"] != "EUR"
        || asked.is_none_or(|a| a <= 0 || a + refunded > cents(&paid.0).unwrap())
    {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "The amount is higher than the amount that remains to be refunded",
        );
    }
    let made = (format!("re_{}", 2000 + book.refunds.len()), id, value, key);
    book.refunds.push(made.clone());
    answer(&made)
}

impl FakeMollie {
    /// Starts the fake on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
        let fake = Self {
            book: Arc::default(),
            base_url: format!("http://127.0.0.1:{port}/v2"),
        };
        let app = Route::new()
            .at("/v2/payments", post(create))
            .at("/v2/payments/:id", get(fetch))
            .at("/v2/payments/:id/refunds", post(refund))
            .data(fake.clone());
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        fake
    }

    /// Sets a payment's status, as the payer's bank would.
    pub fn set_status(&self, id: &str, status: &str) {
        self.book.lock().unwrap().payments.get_mut(id).unwrap().1 = status.to_owned();
    }

    /// Calls the payment's webhook as Mollie does: a form POST with only `id`. Its status.
    pub async fn call_webhook(&self, id: &str) -> u16 {
        let url = self.book.lock().unwrap().payments[id].2.clone();
        reqwest::Client::new()
            .post(url)
            .form(&[("id", id)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}
