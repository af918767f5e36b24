//! A real headless Chromium, driven through chromedriver over WebDriver.
//!
//! Paths come from `CHROMIUM` and `CHROMEDRIVER` (defaults: Debian's `/usr/bin/chromium`
//! and `/usr/bin/chromedriver`, which the test command installs).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

pub struct Browser {
    pub client: Client,
    /// chromedriver's address, for its Chromium extensions (see [`Browser::cdp`]).
    driver_url: String,
    driver: Child,
    profile: tempfile::TempDir,
}

const SIGN_IN_PATIENCE: Duration = Duration::from_secs(30);

impl Browser {
    /// A browser presenting as desktop Chrome.
    pub async fn start() -> Browser {
        Browser::start_as(crate::process::BROWSER_UA).await
    }

    /// A browser with its own user agent: with its own profile, a visitor of its own.
    pub async fn start_as(user_agent: &str) -> Browser {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            // Its own process group, with the Chromium it starts: dropping the browser
            // (even when a test fails before `close`) kills them all.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver} ({e}); the test command installs it")
            });
        let url = format!("http://127.0.0.1:{port}");
        until("chromedriver to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .await;

        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1280,900",
                    // Headless Chromium says so in its user agent, and the collector
                    // drops headless browsers as bots: present as the desktop browser.
                    format!("--user-agent={user_agent}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                // Console messages, for `console_errors`.
                // Downloads land in the profile, without asking (see `downloads`).
                "prefs": {
                    "download.default_directory": profile.path().join("downloads"),
                    "download.prompt_for_download": false,
                }
            }),
        );
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({ "browser": "ALL" }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("chromedriver starts a Chromium session");
        Browser {
            client,
            driver_url: url,
            driver,
            profile,
        }
    }

    /// With `SPUR_SCREENSHOTS=<dir>` set, saves the page as `<dir>/<name>-1440.png` and
    /// `<dir>/<name>-800.png` (the window at those widths, full page height); otherwise
    /// does nothing. For looking at the dashboard, not for assertions.
    pub async fn screenshots(&self, name: &str) {
        let Some(dir) = std::env::var_os("SPUR_SCREENSHOTS") else {
            return;
        };
        for width in [1440u32, 800] {
            self.client.set_window_size(width, 900).await.unwrap();
            let height = eval(self, "return document.documentElement.scrollHeight;")
                .await
                .as_u64()
                .unwrap_or(900)
                .min(4000) as u32;
            self.client.set_window_size(width, height).await.unwrap();
            // Charts redraw on resize.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{name}-{width}.png")),
                png,
            )
            .unwrap();
        }
        self.client.set_window_size(1280, 900).await.unwrap();
    }

    /// The console's errors (and failed loads) since the last call, as Chromium words
    /// them; read through chromedriver's log endpoint.
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The files downloaded so far (complete ones: not Chromium's `.crdownload`), by name.
    pub fn downloads(&self) -> Vec<(String, Vec<u8>)> {
        let Ok(dir) = std::fs::read_dir(self.profile.path().join("downloads")) else {
            return Vec::new();
        };
        let mut files: Vec<(String, Vec<u8>)> = dir
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let name = path.file_name()?.to_str()?.to_owned();
                (!name.ends_with(".crdownload"))
                    .then(|| Some((name, std::fs::read(&path).ok()?)))?
            })
            .collect();
        files.sort();
        files
    }

    /// Replaces what the input with this id holds by typing `text`.
    pub async fn type_into(&self, id: &str, text: &str) {
        let input = self
            .client
            .find(fantoccini::Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// A real left click with the mouse at (`x`, `y`) in the viewport.
    pub async fn click_at(&self, x: f64, y: f64) {
        self.clicks_at(x, y, 1).await;
    }

    /// `n` real left clicks in a row at (`x`, `y`), as one sequence of input actions (so
    /// they are as quick as a person's, whatever the WebDriver round trips cost).
    pub async fn clicks_at(&self, x: f64, y: f64, n: usize) {
        use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
        let mut mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
            duration: None,
            x,
            y,
        });
        for _ in 0..n {
            mouse = mouse
                .then(PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                })
                .then(PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                });
        }
        self.client.perform_actions(mouse).await.unwrap();
    }

    /// Fills the dashboard's sign-in form and sends it, as a marketer would.
    pub async fn submit_sign_in(&self, email: &str, password: &str) {
        self.type_into("email", email).await;
        self.type_into("password", password).await;
        self.click("#signin-form button[type=submit]").await;
    }

    /// Opens the dashboard at `base` (the collector's URL), signs in with the form and
    /// waits until it is signed in.
    pub async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.client.goto(&format!("{base}/")).await.unwrap();
        eventually("the sign-in form", SIGN_IN_PATIENCE, || async {
            eval(
                self,
                "return document.body.classList.contains('signed-out');",
            )
            .await
                == true
        })
        .await;
        self.submit_sign_in(email, password).await;
        eventually("signing in", SIGN_IN_PATIENCE, || async {
            eval(
                self,
                "return document.body.classList.contains('signed-out');",
            )
            .await
                == false
        })
        .await;
        // Signed out, the dashboard's API calls ("who is signed in?", a report) are
        // answered 401, which the console lists as failed loads; nothing else may be
        // there.
        for error in self.console_errors().await {
            assert!(
                error.contains("/api/v1/") && error.contains("401"),
                "console error while signing in: {error}"
            );
        }
    }

    /// Runs a Chrome DevTools Protocol command on the page (chromedriver's
    /// `goog/cdp/execute`) and returns its result: measurements WebDriver has no
    /// command for, such as `Performance.getMetrics`.
    pub async fn cdp(&self, command: &str, params: serde_json::Value) -> serde_json::Value {
        let session = self
            .client
            .session_id()
            .await
            .unwrap()
            .expect("a WebDriver session");
        let url = format!("{}/session/{session}/goog/cdp/execute", self.driver_url);
        let body = serde_json::json!({ "cmd": command, "params": params }).to_string();
        let request = axum::http::Request::post(url)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(axum::body::Bytes::from(body)))
            .unwrap();
        let response = crate::process::http_client()
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("{command}: {e}"));
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
        reply
            .get("value")
            .cloned()
            .unwrap_or_else(|| panic!("{command}: {reply}"))
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Runs `script` in the page (its `return` value comes back), failing the test on a
/// script error.
pub async fn eval(browser: &Browser, script: &str) -> serde_json::Value {
    browser
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Polls the async `condition` every 50 ms until it holds, failing after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `condition` every 25 ms until it holds, failing the test after `limit`.
pub async fn until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// chromedriver's `POST /session/{id}/se/log` for the browser's console.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_owned()),
        )
    }
}
