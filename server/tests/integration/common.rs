//! A real server on an ephemeral port with a temporary data directory, for the
//! HTTP tests, on SQLite or on the tests' PostgreSQL server.

use std::path::{Path, PathBuf};

use clap::Parser;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use server::{Config, Server};
use tokio::sync::oneshot;

/// How long a test waits for one response: far above what the server takes,
/// it turns a hang into a failure that names the request.
const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// An HTTP client that gives up after [`RESPONSE_TIMEOUT`].
pub fn client() -> reqwest::Client {
    client_builder().build().unwrap()
}

/// A builder for an HTTP client that gives up after [`RESPONSE_TIMEOUT`] and,
/// as a browser does on the site's own pages, says its requests come from the
/// same origin (the cross-site check wants `Origin` or `Sec-Fetch-Site`).
pub fn client_builder() -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    reqwest::Client::builder()
        .timeout(RESPONSE_TIMEOUT)
        .default_headers(headers)
}

/// Which models the server sees.
pub enum Models<'a> {
    /// Empty model folders (a `config.json` each) for these instruments:
    /// listed, but unable to compose.
    Listed(&'a [&'a str]),
    /// The trained models shipped in the repository.
    Shipped,
}

pub struct Running {
    pub base: String,
    /// The database it serves, for a second instance beside it.
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub db: sea_orm::DatabaseConnection,
    pub dir: tempfile::TempDir,
}

/// The smaller of Debian's SoundFonts when installed (it loads faster), else
/// whatever the server finds by itself.
fn test_soundfont() -> Option<PathBuf> {
    [
        "/usr/share/sounds/sf2/TimGM6mb.sf2",
        "/usr/share/soundfonts/TimGM6mb.sf2",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|path| path.is_file())
}

impl Running {
    /// A server on a new database: PostgreSQL when the tests run on it, else
    /// the default SQLite file in the server's data directory.
    pub async fn start(models: Models<'_>) -> Running {
        Running::start_with(models, |_| {}).await
    }

    /// A server on a new database, its configuration changed by `adjust`.
    pub async fn start_with(models: Models<'_>, adjust: impl FnOnce(&mut Config)) -> Running {
        let database_url = migrations::testing::new_postgres_database().await;
        Running::start_on(models, database_url, adjust).await
    }

    /// A server on the database at `url`.
    pub async fn start_on_database(models: Models<'_>, url: String) -> Running {
        Running::start_on(models, Some(url), |_| {}).await
    }

    /// A second instance serving this one's database, as behind a load balancer.
    pub async fn beside(&self, models: Models<'_>) -> Running {
        self.beside_with(models, |_| {}).await
    }

    /// A second instance on this one's database, its configuration changed by `adjust`.
    pub async fn beside_with(
        &self,
        models: Models<'_>,
        adjust: impl FnOnce(&mut Config),
    ) -> Running {
        Running::start_on(models, Some(self.database_url.clone()), adjust).await
    }

    async fn start_on(
        models: Models<'_>,
        database_url: Option<String>,
        adjust: impl FnOnce(&mut Config),
    ) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let models = match models {
            Models::Listed(ids) => {
                let models = dir.path().join("models");
                std::fs::create_dir_all(&models).unwrap();
                for id in ids {
                    std::fs::create_dir_all(models.join(id)).unwrap();
                    std::fs::write(models.join(id).join("config.json"), "{}").unwrap();
                }
                models
            }
            Models::Shipped => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"),
        };
        let site = dir.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("robots.txt"), "User-agent: *\n").unwrap();
        let mut config = config(dir.path(), &models, &site);
        config.database_url = database_url;
        adjust(&mut config);
        let (_, database_url) = config.validate().unwrap();
        let server = Server::start(&config, &database_url).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let db = server.database().clone();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        Running {
            base,
            database_url,
            stop: Some(stop),
            task,
            db,
            dir,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = client().get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn config(dir: &Path, models: &Path, site: &Path) -> Config {
    let mut args = vec![
        "mixtape".to_owned(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        dir.join("data").to_str().unwrap().into(),
        "--models-dir".into(),
        models.to_str().unwrap().into(),
        "--site-root".into(),
        site.to_str().unwrap().into(),
        "--device".into(),
        "cpu".into(),
    ];
    if let Some(soundfont) = test_soundfont() {
        args.extend(["--soundfont".into(), soundfont.to_str().unwrap().into()]);
    }
    Config::parse_from(args)
}

/// A running MixTape, in this process or another.
pub trait Site {
    /// The address of `path` on it.
    fn url(&self, path: &str) -> String;
}

impl Site for Running {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A browser's cookie jar for one site, reduced to the session cookie.
#[derive(Default)]
pub struct Browser {
    pub cookie: Option<String>,
}

impl Browser {
    pub async fn post(
        &mut self,
        server: &impl Site,
        function: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut request = client()
            .post(server.url(&format!("/api/{function}")))
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(response.headers());
        (response.status(), response.text().await.unwrap())
    }

    /// Keeps the session cookie a response sets, as a browser does.
    pub fn keep_cookie(&mut self, headers: &reqwest::header::HeaderMap) {
        if let Some(set) = headers.get(SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap().to_owned();
            // An expired cookie is the server deleting it.
            if set.contains("Max-Age=0") {
                self.cookie = None;
            } else {
                assert!(set.contains("HttpOnly"), "{set}");
                assert!(set.contains("SameSite=Lax"), "{set}");
                self.cookie = Some(pair);
            }
        }
    }

    /// A GET with the session cookie: status, headers and body bytes.
    pub async fn get(
        &self,
        server: &impl Site,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = client().get(server.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// Registers a new account and keeps its session.
    pub async fn register(&mut self, server: &impl Site, email: &str, name: &str) {
        let (status, body) = self
            .post(
                server,
                "register",
                &[
                    ("email", email),
                    ("password", "tulip sunrise harbour"),
                    ("display_name", name),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Composes a 10-second piano piece with `seed` (empty for a new one); its id.
    pub async fn compose(&mut self, server: &impl Site, seed: &str) -> i64 {
        let (status, body) = self.post(server, "compose", &piano_form("10", seed)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        piece_of(server, self, body.parse().unwrap()).await
    }

    pub async fn who(&mut self, server: &impl Site) -> Option<String> {
        let (status, body) = self.post(server, "current_user", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let user: Option<serde_json::Value> = serde_json::from_str(&body).unwrap();
        user.map(|u| u["display_name"].as_str().unwrap().to_owned())
    }
}

/// The compose form for a piano piece of `seconds` with `seed` (empty for a new one).
pub fn piano_form<'a>(seconds: &'a str, seed: &'a str) -> [(&'static str, &'a str); 7] {
    [
        ("instrument", "piano"),
        ("length_seconds", seconds),
        ("tempo_bpm", "100"),
        ("tonic", ""),
        ("mode", ""),
        ("creativity", "1"),
        ("seed", seed),
    ]
}

/// Where generation `id` is, as its page asks in `browser`.
pub async fn generation_status(
    server: &impl Site,
    browser: &Browser,
    id: i64,
) -> serde_json::Value {
    let mut request = client()
        .post(server.url("/api/generation_status"))
        .form(&[("id", id.to_string())]);
    if let Some(cookie) = &browser.cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Waits for generation `id`, asked for in `browser`, to be stored as a
/// piece; the piece's id.
pub async fn piece_of(server: &impl Site, browser: &Browser, id: i64) -> i64 {
    for _ in 0..1200 {
        let status = generation_status(server, browser, id).await;
        if let Some(piece) = status["Done"]["piece_id"].as_i64() {
            return piece;
        }
        assert!(status.get("Failed").is_none(), "{status}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("generation {id} was not done after a minute");
}

/// The text of the first `<tag ...>...</tag>` in `html`, tags inside it stripped.
pub fn text_of(html: &str, tag: &str) -> String {
    let start = html
        .find(&format!("<{tag}"))
        .unwrap_or_else(|| panic!("no <{tag}> in {html}"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let close = open_end + html[open_end..].find(&format!("</{tag}>")).unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[open_end..close].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}
