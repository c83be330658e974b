//! Helpers for the end-to-end tests: the base URL of the running stack and the demo
//! stores' publishable keys. scripts/test starts the stack and sets E2E_BASE_URL.

/// The demo stores' publishable keys (from r2-assets/demo/catalog.json).
pub const HARBOR_KEY: &str = "pk_harborpine_demo_3f9a6c2e51b84d07";
pub const LUMEN_KEY: &str = "pk_lumenhome_demo_8b1e47d2c0a95f36";

/// Base URL of the Worker under test, without a trailing slash.
pub fn base_url() -> String {
    std::env::var("E2E_BASE_URL")
        .expect(
            "E2E_BASE_URL is not set: run scripts/test, which starts PostgreSQL and wrangler dev",
        )
        .trim_end_matches('/')
        .to_owned()
}

pub fn url(path: &str) -> String {
    format!("{}{}", base_url(), path)
}
