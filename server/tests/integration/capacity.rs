//! Bounded load: a full studio answers 429 with Retry-After, the page shows
//! the queue position, a stopped instance's generations are marked failed,
//! and logins and pieces are rate-limited per address and per account.

use std::num::NonZeroUsize;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use sea_orm::{ActiveModelTrait, Set};
use services::storage::generation::{self as generation_table, Status};

use crate::common::{
    Browser, Models, Running, Site, client, generation_status, piano_form, piece_of, text_of,
};

#[tokio::test]
async fn a_full_studio_answers_429_with_retry_after_and_the_accepted_pieces_are_composed() {
    let server = Running::start_with(Models::Shipped, |config| {
        config.workers = NonZeroUsize::new(1);
        config.queue = Some(1);
    })
    .await;
    // Four in flight (a batch per worker) and one waiting at most: of twelve
    // at once, most are turned away.
    let attempts = (0..12).map(|_| async {
        client()
            .post(server.url("/api/compose"))
            .form(&piano_form("180", ""))
            .send()
            .await
            .unwrap()
    });
    let responses = futures::future::join_all(attempts).await;
    let mut accepted = Vec::new();
    let mut refused = 0;
    for response in responses {
        match response.status() {
            StatusCode::OK => {
                let mut visitor = Browser::default();
                visitor.keep_cookie(response.headers());
                accepted.push((visitor, response.json::<i64>().await.unwrap()));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let wait: u32 = response.headers()[RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=600).contains(&wait), "{wait}");
                let error: domain::error::AppError = response.json().await.unwrap();
                let message = error.to_string();
                assert!(
                    message.starts_with("The studio is busy: 1 piece is waiting"),
                    "{message}"
                );
                assert!(message.contains("Please try again in"), "{message}");
                refused += 1;
            }
            other => panic!("{other}: {}", response.text().await.unwrap()),
        }
    }
    assert!(
        refused >= 7 && accepted.len() <= 5,
        "{refused} refused, {} accepted",
        accepted.len()
    );
    for (visitor, generation) in accepted {
        piece_of(&server, &visitor, generation).await;
    }
    // Once the queue drained, the studio takes pieces again.
    let mut browser = Browser::default();
    browser.compose(&server, "").await;
    server.stop().await;
}

/// Page `path` as `browser` sees it: its status and text.
async fn page_of(server: &Running, browser: &Browser, path: &str) -> (StatusCode, String) {
    let (status, _, body) = browser.get(server, path).await;
    (status, String::from_utf8(body).unwrap())
}

/// A new account's browser, and the account's id.
async fn account(server: &Running) -> (Browser, i64) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut browser = Browser::default();
    browser
        .register(server, "queue@example.com", "Queue Tester")
        .await;
    let user = services::storage::user::Entity::find()
        .filter(services::storage::user::Column::Email.eq("queue@example.com"))
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    (browser, user.id)
}

/// A generation row of account `owner` as an instance writes it.
async fn record(
    server: &Running,
    owner: i64,
    instance: &str,
    status: Status,
    updated_at: i64,
) -> i64 {
    let now = services::storage::now();
    generation_table::ActiveModel {
        instance: Set(instance.into()),
        settings: Set(Some(
            "instrument=piano&length_seconds=20&tempo_bpm=90&key=&mode=&creativity=1&seed=5".into(),
        )),
        owner_id: Set(Some(owner)),
        visitor: Set(None),
        status: Set(status),
        piece_id: Set(None),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(updated_at),
        ..Default::default()
    }
    .insert(&server.db)
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn the_page_shows_the_queue_position_of_a_waiting_piece() {
    let server = Running::start(Models::Listed(&[])).await;
    let (browser, owner) = account(&server).await;
    let now = services::storage::now();
    let composing = record(&server, owner, "busy", Status::Composing, now).await;
    let first = record(&server, owner, "busy", Status::Queued, now).await;
    let second = record(&server, owner, "busy", Status::Queued, now).await;
    // Another instance's queue is its own.
    record(&server, owner, "other", Status::Queued, now).await;
    let third = record(&server, owner, "busy", Status::Queued, now).await;

    assert_eq!(
        generation_status(&server, &browser, composing).await,
        "Composing"
    );
    for (id, ahead) in [(first, 0), (second, 1), (third, 2)] {
        assert_eq!(
            generation_status(&server, &browser, id).await["Queued"]["ahead"],
            ahead,
            "generation {id}"
        );
    }
    let (status, page) = page_of(&server, &browser, &format!("/generations/{third}")).await;
    assert_eq!(status, 200);
    assert!(
        text_of(&page, "main").contains("Waiting for a composer: 2 pieces are ahead of yours."),
        "{page}"
    );
    let (_, page) = page_of(&server, &browser, &format!("/generations/{first}")).await;
    assert!(
        text_of(&page, "main").contains("Next in the queue"),
        "{page}"
    );

    for missing in ["/generations/999999", "/generations/nope"] {
        let (status, page) = server.get(missing).await;
        assert_eq!(status, 404, "{missing}");
        assert!(page.contains("No piece is being composed at this address."));
    }
    server.stop().await;
}

/// Waits until generation `id` is no longer queued or composing; its state.
async fn settled(server: &Running, browser: &Browser, id: i64) -> serde_json::Value {
    for _ in 0..600 {
        let status = generation_status(server, browser, id).await;
        if status.get("Done").is_some() || status.get("Failed").is_some() {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("generation {id} was not taken over");
}

#[tokio::test]
async fn generations_a_stopped_instance_left_are_taken_over_and_composed() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
    use services::storage::piece as piece_table;

    let server = Running::start_with(Models::Shipped, |config| config.instance_timeout = 2).await;
    let (browser, owner) = account(&server).await;
    let now = services::storage::now();
    let stopped_composing = record(&server, owner, "crashed", Status::Composing, now - 60).await;
    let stopped_queued = record(&server, owner, "crashed", Status::Queued, now - 60).await;
    // Taken up by three instances that each stopped: it stops them all.
    let poison = record(&server, owner, "crashed", Status::Composing, now - 60).await;
    generation_table::Entity::update_many()
        .col_expr(generation_table::Column::Attempts, Expr::value(3))
        .filter(generation_table::Column::Id.eq(poison))
        .exec(&server.db)
        .await
        .unwrap();
    // Refreshed by a live instance (here: far ahead, so it stays fresh for the test).
    let alive = record(&server, owner, "alive", Status::Composing, now + 3600).await;

    // The server's own periodic pass takes the stale ones and composes them,
    // settings recorded as the form's query string (as rows were before
    // settings were stored as JSON) included.
    for id in [stopped_composing, stopped_queued] {
        let status = settled(&server, &browser, id).await;
        assert!(status["Done"]["piece_id"].is_i64(), "{status}");
    }
    let pieces = piece_table::Entity::find()
        .filter(piece_table::Column::OwnerId.eq(owner))
        .count(&server.db)
        .await
        .unwrap();
    assert_eq!(pieces, 2, "each piece stored once");

    let status = settled(&server, &browser, poison).await;
    assert_eq!(
        status["Failed"]["message"],
        "The server composing this piece stopped before it was done. Please compose it again."
    );
    assert_eq!(
        status["Failed"]["settings"],
        serde_json::json!({
            "instrument": "piano", "length_seconds": 20, "tempo_bpm": 90, "meter": "4/4",
            "energy": 3, "tonic": null, "mode": null, "creativity": 1.0, "seed": 5, "motif": null
        })
    );
    let (_, page) = page_of(&server, &browser, &format!("/generations/{poison}")).await;
    assert!(page.contains("Try again with the same settings"), "{page}");
    assert!(
        page.contains("/instruments?instrument=piano&amp;length_seconds=20&amp;tempo_bpm=90&amp;meter=4%2F4&amp;energy=3&amp;tonic=&amp;mode=&amp;creativity=1&amp;seed=5"),
        "{page}"
    );
    assert_eq!(
        generation_status(&server, &browser, alive).await,
        "Composing"
    );
    server.stop().await;
}

/// Guesses sent at once all count: each takes its place under the limit
/// before its password is checked, so ten parallel guesses against a limit
/// of three get three answers and seven refusals (before, all ten were
/// checked: the failures were counted only once each guess had failed).
#[tokio::test]
async fn parallel_login_guesses_all_count() {
    let server = Running::start_with(Models::Listed(&[]), |config| config.login_limit = 3).await;
    let mut owner = Browser::default();
    owner
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let attempts = (0..10).map(|i| {
        let server = &server;
        async move {
            let password = format!("guess number {i}");
            let mut browser = Browser::default();
            browser
                .post(
                    server,
                    "log_in",
                    &[
                        ("email", "ana@bakery.example"),
                        ("password", password.as_str()),
                    ],
                )
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let refused = statuses
        .iter()
        .filter(|&&status| status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = statuses
        .iter()
        .filter(|&&status| status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((checked, refused), (3, 7), "{statuses:?}");
}

#[tokio::test]
async fn failed_logins_are_limited_per_address() {
    let server = Running::start_with(Models::Listed(&[]), |config| config.login_limit = 3).await;
    let mut owner = Browser::default();
    owner
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let mut attacker = Browser::default();
    let attempt = |email: &'static str, password: &'static str| {
        let server = &server;
        let mut browser = Browser::default();
        async move {
            browser
                .post(
                    server,
                    "log_in",
                    &[("email", email), ("password", password)],
                )
                .await
        }
    };
    for _ in 0..3 {
        let (status, _) = attempt("ana@bakery.example", "wrong password 1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // After three failures the address is refused, even with the right
    // password, whatever the letter case.
    let (status, body) = attempt("ANA@bakery.example", "tulip sunrise harbour").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let error: domain::error::AppError = serde_json::from_str(&body).unwrap();
    assert!(
        error
            .to_string()
            .starts_with("Too many login attempts. Please wait"),
        "{error}"
    );
    // The address is over its limit too, for any other account.
    let (status, _) = attacker
        .post(
            &server,
            "log_in",
            &[
                ("email", "other@shop.example"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The signed-in owner is not signed out.
    assert_eq!(owner.who(&server).await.as_deref(), Some("Ana's Bakery"));
    server.stop().await;
}

#[tokio::test]
async fn pieces_are_limited_per_address_with_retry_after() {
    let server = Running::start_with(Models::Shipped, |config| config.compose_limit = 2).await;
    let mut browser = Browser::default();
    browser.compose(&server, "1").await;
    browser.compose(&server, "2").await;
    let (status, body) = browser
        .post(&server, "compose", &piano_form("10", "3"))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let error: domain::error::AppError = serde_json::from_str(&body).unwrap();
    assert!(
        error
            .to_string()
            .starts_with("You have asked for many pieces in a short time."),
        "{error}"
    );
    server.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    async fn log_in_from(server: &Running, client_address: &str, email: &str) -> StatusCode {
        client()
            .post(server.url("/api/log_in"))
            .header("x-forwarded-for", client_address)
            .form(&[("email", email), ("password", "not the password")])
            .send()
            .await
            .unwrap()
            .status()
    }

    let behind_proxy = Running::start_with(Models::Listed(&[]), |config| {
        config.login_limit = 2;
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    for email in ["a@shop.example", "b@shop.example"] {
        let status = log_in_from(&behind_proxy, "198.51.100.1", email).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = log_in_from(&behind_proxy, "198.51.100.1", "c@shop.example").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let status = log_in_from(&behind_proxy, "198.51.100.2", "c@shop.example").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy"
    );
    behind_proxy.stop().await;

    // Without trusted proxies the header is the client's word, and ignored.
    let direct = Running::start_with(Models::Listed(&[]), |config| config.login_limit = 2).await;
    for (address, email) in [
        ("198.51.100.1", "a@shop.example"),
        ("198.51.100.2", "b@shop.example"),
    ] {
        let status = log_in_from(&direct, address, email).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = log_in_from(&direct, "198.51.100.3", "c@shop.example").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    direct.stop().await;
}

/// A login for `email` with `password` from `client_address`, behind a
/// trusted proxy that names it.
async fn log_in_as(
    server: &Running,
    client_address: &str,
    email: &str,
    password: &str,
) -> StatusCode {
    client()
        .post(server.url("/api/log_in"))
        .header("x-forwarded-for", client_address)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn an_attacker_who_knows_an_email_cannot_lock_its_owner_out() {
    let server = Running::start_with(Models::Listed(&[]), |config| {
        config.login_limit = 3;
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let mut owner = Browser::default();
    owner
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    for _ in 0..3 {
        let status = log_in_as(&server, "203.0.113.7", "ana@bakery.example", "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The attacker's address is over its limit...
    let status = log_in_as(&server, "203.0.113.7", "ana@bakery.example", "guess").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // ...and from elsewhere, wrong guesses at the account are slowed, not
    // refused, so its owner still gets in.
    let status = log_in_as(&server, "203.0.113.8", "Ana@Bakery.example ", "guess").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let status = log_in_as(
        &server,
        "198.51.100.2",
        "ana@bakery.example",
        "tulip sunrise harbour",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Only failures count: the owner may log in as often as they like.
    for _ in 0..5 {
        let status = log_in_as(
            &server,
            "198.51.100.3",
            "ana@bakery.example",
            "tulip sunrise harbour",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // An email far longer than any real one is one bounded counter, not an error.
    let long = format!("{}@shop.example", "a".repeat(5000));
    let status = log_in_as(&server, "198.51.100.4", &long, "guess").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_burst_of_registrations_from_one_address_gets_429s() {
    let server = Running::start(Models::Listed(&[])).await;
    let attempts = (0..40).map(|i| {
        let server = &server;
        async move {
            let mut browser = Browser::default();
            browser
                .post(
                    server,
                    "register",
                    &[
                        ("email", format!("shop{i}@burst.example").as_str()),
                        ("password", "tulip sunrise harbour"),
                        ("display_name", "Burst"),
                    ],
                )
                .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let refused = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    assert!(refused >= 30, "{answers:?}");
    assert_eq!(created + refused, 40, "{answers:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_refused_compose_stores_no_visitor_session() {
    use sea_orm::{EntityTrait, PaginatorTrait};

    let server = Running::start_with(Models::Shipped, |config| config.compose_limit = 1).await;
    let sessions = || services::storage::session::Entity::find().count(&server.db);
    let mut browser = Browser::default();
    let (status, _) = browser.post(&server, "compose", &piano_form("5", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut first = Browser::default();
    first.compose(&server, "1").await;
    assert_eq!(sessions().await.unwrap(), 1);
    // Over the address's limit: refused, and nothing stored for this visitor.
    let (status, _) = browser
        .post(&server, "compose", &piano_form("10", "2"))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(browser.cookie, None);
    assert_eq!(sessions().await.unwrap(), 1);
    server.stop().await;
}
