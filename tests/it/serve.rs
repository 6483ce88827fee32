//! The binary as an operator runs it: `parkportal` with no arguments serves the embedded demo and
//! stops gracefully on SIGTERM.

use crate::support::{parkportal_command, repo};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_prints_the_url_imports_the_demo_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let child = parkportal_command(dir.path())
        .env("PARKPORTAL__SERVER__PORT", "0")
        .env("PARKPORTAL__PATHS__TENANTS", repo().join("tenants"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let child = &mut child.0;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("is running at http://127.0.0.1:"), "{first}");
    let url = first
        .split("running at ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let listed: Vec<String> = lines.by_ref().take(3).map(|l| l.unwrap()).collect();
    assert!(
        listed
            .iter()
            .any(|l| l.contains("Gemeente Dijkstad") && l.contains("/g/dijkstad/")),
        "{listed:?}"
    );
    assert!(dir.path().join("data/parkportal.db").is_file());
    // The demo resident, the demo staff with their TOTP secrets (a platformbeheerder, and a
    // medewerker and a beheerder per gemeente), then the warning that payments are a simulation.
    let next: Vec<String> = lines.by_ref().take(10).map(|l| l.unwrap()).collect();
    assert!(next[0].contains("Demo resident"), "{next:?}");
    assert!(
        next[1].contains("/beheer") && next[1].contains("demo-beheer-2026"),
        "{next:?}"
    );
    assert!(next[2].contains("platform@demo.parkportal.nl"), "{next:?}");
    for (line, who) in next[3..9]
        .iter()
        .zip(["medewerker.", "beheerder."].iter().cycle())
    {
        let secret = line.rsplit(": ").next().unwrap();
        assert!(line.contains(who) && secret.len() == 32, "{line}");
    }
    assert!(
        next[9].contains("iDEAL payments are simulated: no real money moves"),
        "{next:?}"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        reqwest::get(format!("{url}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(body.contains("Gemeente Weidevelde"));

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
}

/// Kills the server if the test fails before it stopped it.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
