//! `provider-fakes`: runs the Stripe and Resend fakes on 127.0.0.1 until killed, for
//! development and end-to-end tests. Prints one line with both base URLs once listening.

use std::process::ExitCode;

use provider_fakes::{try_spawn_resend, try_spawn_stripe, ResendFakeConfig, StripeFakeConfig};

const USAGE: &str = "usage: provider-fakes --stripe-port P --resend-port Q --stripe-key K \
--resend-key K2 [--webhook-url U --webhook-secret S]
  ports may be 0 to pick free ones; --webhook-url and --webhook-secret go together";

#[derive(Debug, PartialEq, Eq)]
struct Args {
    stripe_port: u16,
    resend_port: u16,
    stripe_key: String,
    resend_key: String,
    webhook: Option<(String, String)>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut stripe_port = None;
    let mut resend_port = None;
    let mut stripe_key = None;
    let mut resend_key = None;
    let mut webhook_url = None;
    let mut webhook_secret = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let slot = match flag.as_str() {
            "--stripe-port" => &mut stripe_port,
            "--resend-port" => &mut resend_port,
            "--stripe-key" => &mut stripe_key,
            "--resend-key" => &mut resend_key,
            "--webhook-url" => &mut webhook_url,
            "--webhook-secret" => &mut webhook_secret,
            other => return Err(format!("unknown argument '{other}'")),
        };
        let value = args
            .next()
            .filter(|v| !v.starts_with("--"))
            .ok_or_else(|| format!("{flag} needs a value"))?;
        if slot.replace(value).is_some() {
            return Err(format!("{flag} given twice"));
        }
    }
    let port = |value: Option<String>, flag: &str| -> Result<u16, String> {
        let value = value.ok_or_else(|| format!("{flag} is required"))?;
        value
            .parse()
            .map_err(|_| format!("{flag} must be a port number (0-65535), not '{value}'"))
    };
    let webhook = match (webhook_url, webhook_secret) {
        (Some(url), Some(secret)) => Some((url, secret)),
        (None, None) => None,
        _ => return Err("--webhook-url and --webhook-secret go together".into()),
    };
    Ok(Args {
        stripe_port: port(stripe_port, "--stripe-port")?,
        resend_port: port(resend_port, "--resend-port")?,
        stripe_key: stripe_key.ok_or("--stripe-key is required")?,
        resend_key: resend_key.ok_or("--resend-key is required")?,
        webhook,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("provider-fakes: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut stripe_cfg = StripeFakeConfig::new(args.stripe_key).with_port(args.stripe_port);
    if let Some((url, secret)) = args.webhook {
        stripe_cfg = stripe_cfg.with_webhook(url, secret);
    }
    let stripe = match try_spawn_stripe(stripe_cfg).await {
        Ok(stripe) => stripe,
        Err(e) => {
            eprintln!(
                "provider-fakes: cannot listen on 127.0.0.1:{}: {e}",
                args.stripe_port
            );
            return ExitCode::FAILURE;
        }
    };
    let resend_cfg = ResendFakeConfig::new(args.resend_key).with_port(args.resend_port);
    let resend = match try_spawn_resend(resend_cfg).await {
        Ok(resend) => resend,
        Err(e) => {
            eprintln!(
                "provider-fakes: cannot listen on 127.0.0.1:{}: {e}",
                args.resend_port
            );
            return ExitCode::FAILURE;
        }
    };
    println!(
        "provider-fakes listening: stripe={} resend={}",
        stripe.base_url(),
        resend.base_url()
    );
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_all_flags() {
        let parsed = parse_args(args(
            "--stripe-port 0 --resend-port 4010 --stripe-key sk_test_1 --resend-key re_1 \
             --webhook-url http://127.0.0.1:9/hook --webhook-secret whsec_1",
        ));
        assert_eq!(
            parsed,
            Ok(Args {
                stripe_port: 0,
                resend_port: 4010,
                stripe_key: "sk_test_1".into(),
                resend_key: "re_1".into(),
                webhook: Some(("http://127.0.0.1:9/hook".into(), "whsec_1".into())),
            })
        );
    }

    #[test]
    fn refuses_missing_and_bad_values() {
        let missing = parse_args(args("--stripe-port 0 --resend-port 0 --stripe-key k"));
        assert_eq!(missing, Err("--resend-key is required".to_string()));
        let bad_port = parse_args(args(
            "--stripe-port x --resend-port 0 --stripe-key k --resend-key k",
        ));
        assert!(bad_port.is_err_and(|e| e.contains("port number")));
        let lone_url = parse_args(args(
            "--stripe-port 0 --resend-port 0 --stripe-key k --resend-key k --webhook-url u",
        ));
        assert!(lone_url.is_err_and(|e| e.contains("go together")));
        assert!(parse_args(args("--nope 1")).is_err_and(|e| e.contains("unknown argument")));
        assert!(parse_args(args("--stripe-key")).is_err_and(|e| e.contains("needs a value")));
    }
}
