//! Two server instances on one database behave as one site: sessions,
//! libraries and the one-sale rule hold whichever instance answers.

use crate::common::{Browser, Models, Running};
use crate::purchases::fifty_checkouts_race;

#[tokio::test]
async fn a_session_made_on_one_instance_is_valid_on_the_other_with_the_same_library() {
    let first = Running::start(Models::Shipped).await;
    let second = first.beside(Models::Shipped).await;
    let mut browser = Browser::default();
    browser
        .register(&first, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = browser.compose(&first, "").await;

    assert_eq!(browser.who(&second).await.as_deref(), Some("Ana's Bakery"));
    let library = |server| {
        let mut browser = Browser {
            cookie: browser.cookie.clone(),
        };
        async move {
            let (_, body) = browser.post(server, "my_pieces", &[("page", "1")]).await;
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let (on_first, on_second) = (library(&first).await, library(&second).await);
    assert_eq!(on_first["pieces"][0]["id"], piece);
    assert_eq!(on_first, on_second);

    // Logging out on the second ends the session on the first too, even for
    // a copy of the old cookie.
    let mut copy = Browser {
        cookie: browser.cookie.clone(),
    };
    browser.post(&second, "log_out", &[]).await;
    assert_eq!(copy.who(&first).await, None);
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn fifty_checkouts_spread_over_two_instances_make_exactly_one_sale() {
    // Fifty payments from one account: more than the default limit allows.
    let first = Running::start_with(Models::Shipped, |config| config.buy_limit = 100).await;
    let second = first
        .beside_with(Models::Shipped, |config| config.buy_limit = 100)
        .await;
    fifty_checkouts_race(&[&first, &second]).await;
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn instances_starting_at_once_on_a_new_database_all_come_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrations::testing::new_database(dir.path()).await;
    let starting = (0..4).map(|_| Running::start_on_database(Models::Listed(&[]), url.clone()));
    let servers = futures::future::join_all(starting).await;
    for server in servers {
        assert_eq!(server.get("/healthz").await.0, 200);
        server.stop().await;
    }
}
