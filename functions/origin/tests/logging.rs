//! The origin's log lines: every line of a request carries its trace id (from
//! `traceparent`), and no bearer value (an order id) appears in a logged path. Alone
//! in its own test binary: a thread's default subscriber sees every event only while
//! no other test's thread registers the same call sites first.

mod common;

use std::sync::{Arc, Mutex};

use common::{signed, spawn_origin, TRACE};
use serde_json::Value;

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Sink {
    type Writer = Sink;
    fn make_writer(&'w self) -> Sink {
        self.clone()
    }
}

// A current-thread runtime: the server's tasks run on this thread, under the
// subscriber set as its default.
#[tokio::test(flavor = "current_thread")]
async fn request_log_lines_carry_the_trace_id_and_no_bearer_values() {
    let sink = Sink::default();
    let _guard = tracing::subscriber::set_default(origin::logging::json_subscriber(sink.clone()));
    let o = spawn_origin().await;
    let secret_order = "order_01SECRETSECRETSECRET";
    let path = format!("/v1/orders/{secret_order}?store_id=store_ALPHA");
    let res = signed(&o.http, &o.key, &o.base, "GET", &path, b"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let trace_id = &TRACE[3..35];
    let finished = lines
        .iter()
        .find(|l| l["message"] == "request finished" && l["span"]["trace_id"] == trace_id)
        .unwrap_or_else(|| panic!("no request line with the trace id in {text}"));
    assert_eq!(finished["status"], 404);
    assert_eq!(
        finished["span"]["path"],
        "/v1/orders/order_[redacted]?store_id=store_ALPHA"
    );
    assert!(!text.contains(secret_order), "{text}");
}
