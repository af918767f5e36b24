//! Who may read the reports: signed-in marketers (a session cookie) and API tokens;
//! the ingest endpoint stays public.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use spur_tests::{MARKETER, PASSWORD, Reply, Server};

const REPORT: &str = "/api/v1/reports/paths?site=demo";

async fn sign_in(server: &Server, email: &str, password: &str, origin: Option<&str>) -> Reply {
    let mut request = Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .header("host", "spur.example:8080");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    server.call(request.body(Body::from(body)).unwrap()).await
}

async fn with_cookie(server: &Server, method: &str, uri: &str, cookie: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", cookie)
        .header("host", "spur.example:8080")
        .body(Body::empty())
        .unwrap();
    server.call(request).await
}

#[tokio::test]
async fn reports_need_a_session_or_an_api_token() {
    let server = Server::start().await;
    let reply = server.get_anonymous(REPORT).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "sign_in_required");
    let reply = server.get_anonymous("/api/v1/session").await;
    assert_eq!(reply.error_code(), "sign_in_required");

    // A wrong password and an unknown account are refused alike.
    for (email, password) in [
        (MARKETER, "wrong password!"),
        ("nobody@shop.example", PASSWORD),
    ] {
        let reply = sign_in(&server, email, password, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.error_code(), "invalid_credentials");
        assert_eq!(reply.header("set-cookie"), None);
    }

    // The address is matched whatever its case, as mail providers match it, and an
    // account kept as it was typed (before accounts were kept in lower case) too.
    let shouted = format!(" {} ", MARKETER.to_uppercase());
    let reply = sign_in(&server, &shouted, PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["email"], MARKETER);
    let legacy = "Old.Account@Shop.example";
    server
        .store
        .set_user(legacy, &spur::auth::hash_password(PASSWORD).unwrap())
        .unwrap();
    let reply = sign_in(&server, legacy, PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());

    // The right one sets a session cookie no script and no other site can use.
    let reply = sign_in(
        &server,
        MARKETER,
        PASSWORD,
        Some("http://spur.example:8080"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["email"], MARKETER);
    let set = reply.header("set-cookie").unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    let reply = with_cookie(&server, "GET", REPORT, &cookie).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = with_cookie(&server, "GET", "/api/v1/session", &cookie).await;
    assert_eq!(reply.json()["email"], MARKETER);

    // Signing out ends the session: the same cookie no longer works.
    let reply = with_cookie(&server, "DELETE", "/api/v1/session", &cookie).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.header("set-cookie").unwrap().contains("Max-Age=0"));
    let reply = with_cookie(&server, "GET", REPORT, &cookie).await;
    assert_eq!(reply.error_code(), "sign_in_required");

    // API tokens: the right one works, another does not.
    assert_eq!(server.get(REPORT).await.status, StatusCode::OK);
    let forged = Request::get(REPORT)
        .header("authorization", format!("Bearer {}", "0".repeat(64)))
        .body(Body::empty())
        .unwrap();
    assert_eq!(server.call(forged).await.error_code(), "sign_in_required");

    // Ingest stays public.
    let batch = spur_tests::fixture("wire/v1/minimal.json");
    assert_eq!(
        server.post_events("text/plain", batch).await.status,
        StatusCode::ACCEPTED
    );
}

/// `spur …` on the test server's data directory: (exit status, standard output).
fn cli(server: &Server, args: &[&str], input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spur-under-test"))
        .args(args)
        .arg("--data")
        .arg(server.data.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A leaked token or session can be revoked (`spur token revoke`), and a new password
/// (`spur user add` for an existing account) ends the sessions of the old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_revoked_and_a_new_password_signs_the_account_out() {
    let server = Server::start().await;
    let cookie = |reply: &Reply| {
        reply
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let session = cookie(&sign_in(&server, MARKETER, PASSWORD, None).await);
    assert_eq!(
        with_cookie(&server, "GET", REPORT, &session).await.status,
        StatusCode::OK
    );

    // A new password: the old session ends, the API token stays.
    let new_password = "a brand new password";
    let (ok, said) = cli(
        &server,
        &["user", "add", "--email", MARKETER],
        &format!("{new_password}\n"),
    );
    assert!(ok, "{said}");
    assert!(said.contains("1 session(s) ended"), "{said}");
    assert_eq!(
        with_cookie(&server, "GET", REPORT, &session)
            .await
            .error_code(),
        "sign_in_required"
    );
    assert_eq!(server.get(REPORT).await.status, StatusCode::OK);

    // Revoking: every API token and session of the account.
    let session = cookie(&sign_in(&server, MARKETER, new_password, None).await);
    let (ok, said) = cli(&server, &["token", "revoke", "--email", MARKETER], "");
    assert!(ok, "{said}");
    assert!(
        said.contains("1 API token(s) revoked, 1 session(s) ended"),
        "{said}"
    );
    assert_eq!(server.get(REPORT).await.error_code(), "sign_in_required");
    assert_eq!(
        with_cookie(&server, "GET", REPORT, &session)
            .await
            .error_code(),
        "sign_in_required"
    );
    let (ok, said) = cli(
        &server,
        &["token", "revoke", "--email", "nobody@shop.example"],
        "",
    );
    assert!(!ok && said.contains("no account"), "{said}");
}

/// Guessing passwords is slowed down: ten attempts a minute from one address, then 429
/// with `Retry-After`, even for the right password.
#[tokio::test]
async fn sign_ins_are_limited_per_address() {
    let server = Server::start().await;
    for attempt in 0..spur::ratelimit::SIGN_INS_PER_MINUTE {
        let reply = sign_in(&server, MARKETER, "wrong password!", None).await;
        assert_eq!(
            reply.error_code(),
            "invalid_credentials",
            "attempt {attempt}"
        );
    }
    let reply = sign_in(&server, MARKETER, PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.error_code(), "rate_limited");
    assert!(reply.header("retry-after").is_some());
    // API tokens are not sign-ins.
    assert_eq!(server.get(REPORT).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_are_not_opened_across_sites_or_by_forms() {
    let server = Server::start().await;
    let reply = sign_in(&server, MARKETER, PASSWORD, Some("https://evil.example")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "cross_site_request");
    // A cross-site HTML form can only send form encodings, which are refused.
    let form = Request::post("/api/v1/session")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("email={MARKETER}&password={PASSWORD}")))
        .unwrap();
    let refused = server.call(form).await;
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        refused.json()["error"]["message"],
        "send the body as application/json"
    );
    let garbled = Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .body(Body::from("{\"email\": 1}"))
        .unwrap();
    assert_eq!(server.call(garbled).await.error_code(), "invalid_request");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_a_tls_proxy() {
    let server = Server::start_with(|s| s.behind_proxy = true).await;
    let request = Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .header("x-forwarded-proto", "https")
        .body(Body::from(
            serde_json::json!({ "email": MARKETER, "password": PASSWORD }).to_string(),
        ))
        .unwrap();
    let reply = server.call(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("set-cookie").unwrap().contains("Secure"));
}

/// The dashboard in Chromium: it asks to sign in, refuses a wrong password, and after
/// the right one shows what the reports API says; signing out asks again.
#[tokio::test]
async fn the_dashboard_asks_to_sign_in() {
    use spur_tests::browser::{Browser, eval, eventually};
    use std::time::Duration;
    const PATIENCE: Duration = Duration::from_secs(30);

    let server = Server::start().await;
    let batch = spur_tests::fixture("wire/v1/minimal.json");
    assert_eq!(
        server.post_events("text/plain", batch).await.status,
        StatusCode::ACCEPTED
    );
    let browser = Browser::start().await;
    // A report page, signed out: it says to sign in and offers no "Sign out".
    browser
        .client
        .goto(&server.url("/dashboard/feedback.html?site=demo"))
        .await
        .unwrap();
    eventually("the sign-in notice", PATIENCE, || async {
        eval(
            &browser,
            "return [!document.getElementById('fb-signin').hidden,
                     getComputedStyle(document.getElementById('sign-out')).display];",
        )
        .await
            == serde_json::json!([true, "none"])
    })
    .await;
    browser.client.goto(&server.url("/")).await.unwrap();
    let signed_out = "return document.body.classList.contains('signed-out');";
    eventually("the sign-in form", PATIENCE, || async {
        eval(&browser, signed_out).await == true
    })
    .await;
    browser.submit_sign_in(MARKETER, "not the password").await;
    eventually("the refusal", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('signin-error').textContent;",
        )
        .await
            == "Wrong email or password."
    })
    .await;
    assert_eq!(eval(&browser, signed_out).await, true);

    browser.submit_sign_in(MARKETER, PASSWORD).await;
    // The figures the API gives.
    let day = spur_tests::today();
    let report = server
        .get(&format!(
            "/api/v1/reports/paths?site=demo&from={day}&to={day}"
        ))
        .await
        .json();
    let sessions = report["total"].to_string();
    eventually("the paths after signing in", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('stat-sessions').textContent;",
        )
        .await
            == sessions.as_str()
    })
    .await;
    assert_eq!(eval(&browser, signed_out).await, false);

    browser.click("#sign-out").await;
    eventually("the sign-in form again", PATIENCE, || async {
        eval(&browser, signed_out).await == true
    })
    .await;
    browser.close().await;
}
