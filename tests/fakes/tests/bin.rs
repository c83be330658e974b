//! The `provider-fakes` binary: starts both fakes, prints their base URLs on one line,
//! serves until killed; refuses bad arguments with the usage text.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_provider-fakes");

/// Kills the child when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_both_fakes_until_killed() {
    let mut child = Running(
        Command::new(BIN)
            .args([
                "--stripe-port",
                "0",
                "--resend-port",
                "0",
                "--stripe-key",
                "sk_test_bin",
                "--resend-key",
                "re_bin",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("one line");
    let url_after = |name: &str| -> String {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
            .to_string()
    };
    let stripe = url_after("stripe");
    let resend = url_after("resend");
    assert!(stripe.starts_with("http://127.0.0.1:"), "{line}");

    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{stripe}/v1/payment_intents"))
        .bearer_auth("sk_test_bin")
        .header("Idempotency-Key", "bin-1")
        .form(&[
            ("amount", "500"),
            ("currency", "usd"),
            ("capture_method", "manual"),
        ])
        .send()
        .await
        .expect("stripe fake answers")
        .json()
        .await
        .expect("json");
    assert_eq!(created["status"], "requires_payment_method");
    let sent = http
        .post(format!("{resend}/emails"))
        .bearer_auth("re_bin")
        .json(
            &json!({"from": "a@shop.test", "to": ["b@example.com"], "subject": "Hi", "text": "x"}),
        )
        .send()
        .await
        .expect("resend fake answers");
    assert_eq!(sent.status(), 200);

    child.0.kill().expect("kill");
    assert!(!child.0.wait().expect("wait").success());
}

#[test]
fn binary_refuses_bad_arguments_with_usage() {
    let output = Command::new(BIN)
        .args(["--stripe-port", "0", "--stripe-key", "k"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--resend-port is required"), "{stderr}");
    assert!(stderr.contains("usage: provider-fakes"), "{stderr}");
}
