//! Boots the real server on an ephemeral port with a temporary SQLite file and
//! checks what a browser or a load balancer gets back.

use crate::common::{Models, Running, Site, client_builder, text_of};

#[tokio::test]
async fn landing_page_is_server_rendered_with_title_description_and_call_to_action() {
    let server = Running::start(Models::Listed(&[])).await;
    let (status, html) = server.get("/").await;
    assert_eq!(status, 200);
    assert_eq!(
        text_of(&html, "title"),
        "Original music for your ads · MixTape"
    );
    assert!(html.contains(r#"<meta name="description" content="MixTape composes original music"#));
    assert!(text_of(&html, "h1").contains("Original music for your ads"));
    assert!(html.contains("How it works"));
    assert!(
        html.contains(r#"href="/instruments""#),
        "call to action links to the instruments page"
    );
    assert!(
        html.contains("/pkg/mixtape.js"),
        "hydration script is referenced"
    );
    server.stop().await;
}

#[tokio::test]
async fn instruments_page_shows_an_empty_state_without_models() {
    let server = Running::start(Models::Listed(&[])).await;
    let (status, html) = server.get("/instruments").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&html, "title"), "Instruments · MixTape");
    assert!(html.contains("No instruments yet"), "{html}");
    assert!(
        html.contains(r#"<label for="creativity">"#),
        "form controls are labelled"
    );
    server.stop().await;
}

#[tokio::test]
async fn instruments_page_lists_installed_models() {
    let server = Running::start(Models::Listed(&["guitar", "piano"])).await;
    let (status, html) = server.get("/instruments").await;
    assert_eq!(status, 200);
    assert!(!html.contains("No instruments yet"));
    let piano = html.find("<h2>Piano</h2>").expect("piano card");
    let guitar = html.find("<h2>Classical guitar</h2>").expect("guitar card");
    assert!(piano < guitar, "instruments are listed in the site's order");
    assert!(html.contains(r#"<option value="guitar">Classical guitar</option>"#));
    server.stop().await;
}

#[tokio::test]
async fn unknown_pages_are_404_with_a_helpful_page() {
    let server = Running::start(Models::Listed(&[])).await;
    let (status, html) = server.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert_eq!(text_of(&html, "title"), "Page not found · MixTape");
    assert!(html.contains("There is no page at this address"));
    server.stop().await;
}

#[tokio::test]
async fn static_files_are_served_from_the_site_root() {
    let server = Running::start(Models::Listed(&[])).await;
    let (status, body) = server.get("/robots.txt").await;
    assert_eq!((status, body.as_str()), (200, "User-agent: *\n"));
    server.stop().await;
}

#[tokio::test]
async fn healthz_follows_the_database() {
    let server = Running::start(Models::Listed(&[])).await;
    assert_eq!(server.get("/healthz").await, (200, "ok\n".to_string()));

    // Closing the shared pool is what a vanished database looks like to the server.
    server.db.clone().close().await.unwrap();
    let (status, body) = server.get("/healthz").await;
    assert_eq!((status, body.as_str()), (503, "database unreachable\n"));
    server.stop().await;
}

#[tokio::test]
async fn the_database_is_created_and_migrated_at_start() {
    use migrations::{Migrator, MigratorTrait, SchemaManager};

    let server = Running::start(Models::Listed(&[])).await;
    assert!(
        Migrator::get_pending_migrations(&server.db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        SchemaManager::new(&server.db)
            .has_table("sessions")
            .await
            .unwrap()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_does_not_hold_the_shutdown() {
    use tokio::io::AsyncWriteExt;

    let server = Running::start_with(Models::Listed(&[]), |config| config.shutdown_grace = 1).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = tokio::net::TcpStream::connect(address).await.unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Time for the server to take the bytes, so the connection is mid-request.
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    // The guard is far above the one-second grace: it only turns a hang into
    // a failure.
    tokio::time::timeout(std::time::Duration::from_secs(120), server.stop())
        .await
        .expect("the server stops after its grace period");
    drop(stalled);
}

/// Leptos lists a server's pages with resource loading switched off for the
/// whole process; pages that other servers render meanwhile must still finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start_in_the_same_process() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let server = Running::start(Models::Listed(&[])).await;
    let url = server.url("/pieces/42");
    let starting = Arc::new(AtomicBool::new(true));
    let rendering = tokio::spawn({
        let starting = starting.clone();
        async move {
            // A page stalled for good fails here instead of hanging the suite.
            let client = client_builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap();
            let mut rendered = 0;
            while starting.load(Ordering::Relaxed) {
                let response = client.get(&url).send().await.expect("the page renders");
                assert_eq!(response.status(), 404);
                response.text().await.expect("the page renders to the end");
                rendered += 1;
            }
            rendered
        }
    });
    for _ in 0..8 {
        Running::start(Models::Listed(&[])).await.stop().await;
    }
    starting.store(false, Ordering::Relaxed);
    assert!(rendering.await.unwrap() > 0);
    server.stop().await;
}

/// What a connection that sent `bytes` and then nothing got back before the
/// server closed it; `None` when it was still open after `wait`.
async fn answer_to_a_stalled_request(
    server: &Running,
    bytes: &[u8],
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(wait, stream.read_to_end(&mut answer))
        .await
        .ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_or_its_body_is_cut_off() {
    let server = Running::start_with(Models::Listed(&[]), |config| config.read_timeout = 1).await;
    // Well past the one-second limit: this only turns a held connection into
    // a failure.
    let wait = std::time::Duration::from_secs(15);
    let headers =
        answer_to_a_stalled_request(&server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", wait).await;
    assert!(
        headers.is_some(),
        "a request's headers were waited for without end"
    );
    let body = answer_to_a_stalled_request(
        &server,
        b"POST /api/register HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: same-origin\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=",
        wait,
    )
    .await;
    let body = body.expect("a request's body was waited for without end");
    assert!(!body.starts_with("HTTP/1.1 2"), "{body}");
    // The server still answers everyone else.
    assert_eq!(server.get("/healthz").await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_request_time_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Running::start_with(Models::Listed(&[]), |config| {
        config.read_timeout = 2;
        config.request_timeout = 2;
    })
    .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST /api/register HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: same-origin\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
        )
        .await
        .unwrap();
    // A byte every half second, each well within the read timeout, for 20 s.
    let drip = async {
        for _ in 0..40 {
            if stream.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    };
    let started = std::time::Instant::now();
    drip.await;
    let mut answer = Vec::new();
    let wait = std::time::Duration::from_secs(15);
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {:?}: {answer}",
        started.elapsed()
    );
    server.stop().await;
}
