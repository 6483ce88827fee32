//! The logo (#24): hostile uploads are stored sanitised or refused, the server serving on and
//! its memory flat: SVGs with a script, an event handler, an image from another host, a
//! foreignObject, a `<use>` of a data URL, an entity bomb; a PNG over 256 KiB, a 50 MB body, a
//! PNG declaring 100,000 × 100,000 pixels. What is stored is what is served; each change is on
//! the record; another gemeente's beheerder reaches nothing.

use super::*;
use std::io::Write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAGE: &str = "/beheer/dijkstad/logo";

/// Uploads `bytes` as `name` through the page's form (with the version it shows).
async fn upload(who: &Staff, name: &str, bytes: &[u8]) -> crate::support::response::Response {
    let form = who.page(PAGE).await.form(PAGE);
    let version = form.value("versie").unwrap().to_owned();
    who.upload(PAGE, &[("versie", &version)], "logo", name, bytes)
        .await
}

/// A PNG declaring `width` × `height` grey pixels, with `rows` rows of data.
fn png(width: u32, height: u32, rows: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let mut raw = Vec::new();
    for _ in 0..rows {
        raw.push(0);
        raw.extend(std::iter::repeat_n(0x80, width.min(4096) as usize));
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&raw).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The logo the portal serves now.
async fn served(app: &TestApp) -> (String, Vec<u8>) {
    let resp = app.get("/g/dijkstad/logo").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (kind, resp.bytes().await.unwrap().to_vec())
}

/// The most memory this test's process has held, in KiB (the server runs in it).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn hostile_svgs_are_stored_sanitised_or_refused() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let page = bea.page(PAGE).await;
    assert!(page.contains_text("Telefoon (375 pixels breed)"));
    assert!(page.contains_text("Computer (breed scherm)"));
    let square = r##"<rect width="10" height="10" fill="#0b4f6c"/>"##;
    let cases = [
        (
            format!("<svg><script>alert(1)</script>{square}</svg>"),
            "<script>",
        ),
        (
            format!(r#"<svg onload="alert(1)">{square}</svg>"#),
            "onload",
        ),
        (
            format!(r#"<svg><image href="https://tracker.example/pixel.png"/>{square}</svg>"#),
            "href",
        ),
        (
            format!(
                r#"<svg><foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></body></foreignObject>{square}</svg>"#
            ),
            "<foreignObject>",
        ),
        (
            format!(
                r#"<svg><use href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+"/>{square}</svg>"#
            ),
            "href",
        ),
    ];
    for (i, (svg, removed)) in cases.iter().enumerate() {
        // Each file a little different, so that each stores a new logo.
        let svg = svg.replace(r#"width="10""#, &format!(r#"width="{}""#, 10 + i));
        let resp = upload(&bea, "logo.svg", svg.as_bytes()).await;
        assert_eq!(resp.status(), 303, "{svg}: {}", resp.text());
        let after = bea.page(resp.location()).await;
        assert!(after.contains_text("Het logo is opgeslagen."));
        assert!(
            after.contains_text(removed),
            "{svg}: the page names {removed}"
        );
        let (kind, bytes) = served(&app).await;
        assert_eq!(kind, "image/svg+xml");
        let text = String::from_utf8(bytes)
            .unwrap()
            .replace("http://www.w3.org/2000/svg", "");
        for bad in [
            "script",
            "onload",
            "http",
            "foreignObject",
            "data:",
            "alert",
        ] {
            assert!(!text.contains(bad), "{svg} served {bad}: {text}");
        }
        assert!(text.contains("<rect"), "the drawing stays: {text}");
        let entry = audit_entries(&app).await.remove(0);
        assert_eq!(entry.action, "tenant.logo_changed");
        let reason = entry.reason.unwrap_or_default();
        assert!(
            reason.contains("logo: image/svg+xml") && reason.contains(removed),
            "{reason}"
        );
    }

    // An entity bomb is refused before anything is expanded; the logo stays as it was.
    let (_, before) = served(&app).await;
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><svg><text>&e;&e;&e;&e;&e;&e;&e;&e;</text></svg>"#;
    let resp = upload(&bea, "bom.svg", bomb.as_bytes()).await;
    assert_eq!(resp.status(), 422, "{}", resp.text());
    assert!(
        resp.html()
            .contains_text("bevat een DOCTYPE met entiteiten")
    );
    assert_eq!(served(&app).await.1, before);
    let entry = audit_entries(&app).await.remove(0);
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("refused", Some("dtd"))
    );
    // A file that is neither: refused with its reason.
    let resp = upload(&bea, "logo.gif", b"GIF89a").await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("moet een SVG- of PNG-bestand zijn")
    );
}

#[tokio::test]
async fn pngs_are_bounded_and_a_flood_leaves_the_server_serving_with_flat_memory() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let good = png(64, 32, 32);
    let resp = upload(&bea, "logo.png", &good).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(served(&app).await, ("image/png".to_owned(), good.clone()));

    let baseline = peak_kib();
    // Declaring 100,000 × 100,000 pixels (10 GB decoded): refused from its header.
    let bomb = png(100_000, 100_000, 1);
    assert!(bomb.len() < 4096);
    let resp = upload(&bea, "bom.png", &bomb).await;
    assert_eq!(resp.status(), 422, "{}", resp.text());
    assert!(
        resp.html()
            .contains_text("Deze PNG is 100000 bij 100000 pixels; ten hoogste 2048 bij 2048.")
    );
    // Over 256 KiB: refused with its size.
    let mut large = png(64, 32, 32);
    large.resize(300 * 1024, 0);
    let resp = upload(&bea, "groot.png", &large).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Het bestand is groter dan 256 KiB.")
    );

    // 50 MB sent in chunks without a length: the server stops reading at its limit and
    // answers 413, never holding the body.
    let mut stream = tokio::net::TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST {PAGE} HTTP/1.1\r\nHost: localhost\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n",
        bea.cookie_header()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let block = vec![b'A'; 64 * 1024];
    let mut sent = 0usize;
    while sent < 50 * 1024 * 1024 {
        let framed = [format!("{:x}\r\n", block.len()).as_bytes(), &block, b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
        sent += block.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 4096];
    let n = stream.read(&mut answer).await.unwrap_or(0);
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // The same 50 MB announced: refused before a byte of it is read.
    let mut stream = tokio::net::TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST {PAGE} HTTP/1.1\r\nHost: localhost\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n",
        bea.cookie_header(),
        50 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 413"));

    // Serving on, the logo unchanged, and no more memory held than a few megabytes of work.
    assert_eq!(served(&app).await.1, good);
    assert_eq!(bea.get(PAGE).await.status(), 200);
    let grown = peak_kib().saturating_sub(baseline);
    eprintln!("peak memory grew by {grown} KiB over {baseline} KiB");
    assert!(grown < 32 * 1024, "peak memory grew by {grown} KiB");
}

#[tokio::test]
async fn another_gemeentes_beheerder_and_a_medewerker_reach_nothing() {
    let app = TestApp::spawn().await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let mia = staff(&app, "mia@dijkstad.nl", "dijkstad", Role::Staff).await;
    let (_, before) = served(&app).await;
    for who in [&piet, &mia] {
        assert!(matches!(who.get(PAGE).await.status(), 403 | 404));
        let resp = who.post_form(PAGE, &[("versie", "1")]).await;
        assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
    }
    assert_eq!(served(&app).await.1, before);
}
