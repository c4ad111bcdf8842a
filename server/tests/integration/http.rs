//! Boots the real server on an ephemeral port with a temporary SQLite file and
//! checks what a browser or a load balancer gets back.

use crate::common::{Models, Running, text_of};

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
