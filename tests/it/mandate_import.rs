//! `parkportal mandates import FILE.csv`: the mandates of the previous system, every row or none,
//! through the binary on the test's database; imported mandates spend the owner's balance.

use crate::mandates::{give, invitation, product_of, revoke};
use crate::support::{TestApp, call};
use crate::support::{at, ledger_holds, resident};
use serde_json::json;

#[tokio::test]
async fn the_import_takes_every_row_or_none_and_imported_mandates_spend_the_owners_balance() {
    // One invitation a day: imported mandates are not invitations and leave it.
    let app = TestApp::spawn_with(|c| c.mandates.invitations_per_day = 1).await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    // piet has an account (of his own product); kees has none.
    let piet_own = resident(&app, "havenmond", "piet@example.nl", None).await;
    let code = app
        .sql_text(&format!(
            "SELECT code FROM products WHERE id = {}",
            jan.product
        ))
        .await
        .unwrap();
    let run = |csv: String| {
        let dir = app.dir.path().to_owned();
        let url = app.config.database.url.clone().unwrap();
        async move {
            let file = dir.join("machtigingen.csv");
            std::fs::write(&file, csv).unwrap();
            tokio::task::spawn_blocking(move || {
                crate::support::parkportal_command(&dir)
                    .args(["mandates", "import"])
                    .arg(&file)
                    .env("PARKPORTAL__DATABASE__URL", url)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    // A file with bad rows (line 4: no such product, line 5: the owner) imports nothing and
    // names them all.
    let header = "tenant,product_code,email,plate,accepted\n";
    let out = run(format!(
        "{header}dijkstad,{code},piet@example.nl,12-GBD-3,true\n\
         dijkstad,{code},kees@example.nl,,false\n\
         dijkstad,NIET-BEST-AAND,anna@example.nl,,true\n\
         dijkstad,{code},jan@example.nl,,true\n"
    ))
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("machtigingen.csv:4:") && err.contains("machtigingen.csv:5:"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM mandates").await, 0);
    // Malformed rows are all named before anything is looked up.
    let out = run(format!(
        "{header}dijkstad,{code},geen-adres,,true\ndijkstad,{code},a@example.nl,,misschien\n"
    ))
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2:") && err.contains(":3:"), "{err}");

    let out = run(format!(
        "{header}dijkstad,{code},piet@example.nl,12-GBD-3,true\ndijkstad,{code},kees@example.nl,,false\n"
    ))
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 2 mandates: 1 accepted, 1 invited")
    );
    // Importing the same again is refused (line 2), and still nothing half.
    let out = run(format!("{header}dijkstad,{code},piet@example.nl,,true\n")).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("machtigingen.csv:2:") && err.contains("has a mandate"),
        "{err}"
    );
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM mandates").await, 2);

    // piet sees jan's product at once and parks from jan's balance (the old conditions).
    let piet = piet_own.on_product(jan.product);
    assert_eq!(
        product_of(&app, &piet).await["mandated_by"],
        "jan@example.nl"
    );
    assert_eq!(product_of(&app, &piet).await["balance"]["value"], "25.00");
    let (status, body) = piet
        .start(
            &app,
            json!({"plate": "12-GBD-3", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(jan.balance(&app).await, "23.80");
    // kees gets an invitation mail; jan's list shows both, without a balance of their own.
    assert!(invitation(&app, "kees@example.nl").await.len() == 64);
    let (_, list) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/mandates", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|m| m["balance"].is_null()));
    // Revoking an imported mandate stops piet's session; the unused part returns to jan.
    let mid = items
        .iter()
        .find(|m| m["email"] == "piet@example.nl")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(revoke(&app, &jan, jan.product, mid).await, 204);
    assert_eq!(
        jan.balance(&app).await,
        "25.00",
        "a session stopped at its start costs nothing"
    );
    assert_eq!(
        give(
            &app,
            &jan,
            json!({"email": "anna@example.nl", "amount": "1"})
        )
        .await
        .0,
        201
    );
    ledger_holds(&app).await;
}
