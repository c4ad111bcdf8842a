//! Registering, logging in and out, and the library, through the server
//! functions, with the session cookie as a browser keeps it.

use crate::common::{Browser, Models, Running, Site};
use reqwest::StatusCode;

const PASSWORD: &str = "tulip sunrise harbour";

/// The register form's fields.
type Registration<'a> = [(&'static str, &'a str); 3];

fn registration<'a>(email: &'a str, password: &'a str, name: &'a str) -> Registration<'a> {
    [
        ("email", email),
        ("password", password),
        ("display_name", name),
    ]
}

fn field_message(body: &str, field: &str) -> Option<String> {
    serde_json::from_str::<domain::error::AppError>(body)
        .unwrap()
        .field_message(field)
}

#[tokio::test]
async fn register_log_out_and_log_in_again() {
    let server = Running::start(Models::Listed(&[])).await;
    let mut browser = Browser::default();
    assert_eq!(browser.who(&server).await, None);

    let (status, body) = browser
        .post(
            &server,
            "register",
            &registration("Ana@Bakery.example", PASSWORD, "Ana's Bakery"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(browser.who(&server).await.as_deref(), Some("Ana's Bakery"));
    let registered_cookie = browser.cookie.clone().unwrap();

    let (status, _) = browser.post(&server, "log_out", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(browser.who(&server).await, None);
    // The cookie from before logging out no longer signs anyone in.
    let mut stale = Browser {
        cookie: Some(registered_cookie.clone()),
    };
    assert_eq!(stale.who(&server).await, None);

    // The email is found whatever its case.
    let (status, body) = browser
        .post(
            &server,
            "log_in",
            &[("email", "ana@bakery.EXAMPLE"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(browser.who(&server).await.as_deref(), Some("Ana's Bakery"));
    assert_ne!(browser.cookie.as_deref(), Some(registered_cookie.as_str()));

    // The password is stored as an argon2id hash, never as given.
    use sea_orm::EntityTrait;
    let user = services::storage::user::Entity::find()
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email, "ana@bakery.example");
    assert!(
        user.password_hash.starts_with("$argon2id$"),
        "{}",
        user.password_hash
    );
    assert!(!user.password_hash.contains(PASSWORD));
    server.stop().await;
}

#[tokio::test]
async fn logging_in_rotates_the_session_id() {
    let server = Running::start(Models::Listed(&[])).await;
    let mut first = Browser::default();
    first
        .post(
            &server,
            "register",
            &registration("bo@shop.example", PASSWORD, "Bo"),
        )
        .await;
    first.post(&server, "log_out", &[]).await;

    // A visitor's session (here: a failed log-in keeps none) then a log-in: the id changes.
    let mut browser = Browser::default();
    let (status, _) = browser
        .post(
            &server,
            "log_in",
            &[("email", "bo@shop.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = browser.cookie.clone().unwrap();
    let (status, _) = browser
        .post(
            &server,
            "log_in",
            &[("email", "bo@shop.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = browser.cookie.clone().unwrap();
    assert_ne!(before, after);
    let mut old = Browser {
        cookie: Some(before),
    };
    assert_eq!(old.who(&server).await, None, "the old id is gone");
    assert_eq!(browser.who(&server).await.as_deref(), Some("Bo"));
    server.stop().await;
}

#[tokio::test]
async fn every_registration_rule_has_its_message() {
    let server = Running::start(Models::Listed(&[])).await;
    let mut browser = Browser::default();
    browser
        .post(
            &server,
            "register",
            &registration("cy@studio.example", PASSWORD, "Cy"),
        )
        .await;

    let cases: [(Registration, &str, &str); 5] = [
        (
            registration("CY@Studio.example", PASSWORD, "Cy again"),
            "email",
            "An account with this email already exists. Log in instead?",
        ),
        (
            registration("not-an-email", PASSWORD, "Dee"),
            "email",
            "Enter an email address such as name@company.com.",
        ),
        (
            registration("dee@studio.example", "short", "Dee"),
            "password",
            "Use at least 10 characters.",
        ),
        (
            registration("dee@studio.example", "1234567890", "Dee"),
            "password",
            "This password is too easy to guess; choose another one.",
        ),
        (
            registration("dee@studio.example", PASSWORD, "   "),
            "display_name",
            "Enter your name or your company's, up to 80 characters.",
        ),
    ];
    for (form, field, message) in cases {
        let (status, body) = Browser::default().post(&server, "register", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            field_message(&body, field).as_deref(),
            Some(message),
            "{body}"
        );
    }
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        services::storage::user::Entity::find()
            .count(&server.db)
            .await
            .unwrap(),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let server = Running::start(Models::Listed(&[])).await;
    Browser::default()
        .post(
            &server,
            "register",
            &registration("di@cafe.example", PASSWORD, "Di"),
        )
        .await;
    let wrong_password = Browser::default()
        .post(
            &server,
            "log_in",
            &[
                ("email", "di@cafe.example"),
                ("password", "not the password"),
            ],
        )
        .await;
    let unknown_email = Browser::default()
        .post(
            &server,
            "log_in",
            &[("email", "nobody@cafe.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_email);
    assert!(
        wrong_password
            .1
            .contains("The email or the password is not right."),
        "{}",
        wrong_password.1
    );
    server.stop().await;
}

/// The ids in `browser`'s library page `page`, and whether it is signed in.
async fn library(server: &Running, browser: &mut Browser, page: u64) -> (Vec<i64>, u64, bool) {
    let (status, body) = browser
        .post(server, "my_pieces", &[("page", &page.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ids = page["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    (
        ids,
        page["pages"].as_u64().unwrap(),
        page["signed_in"].as_bool().unwrap(),
    )
}

#[tokio::test]
async fn a_visitors_pieces_survive_registration_and_stay_private() {
    let server = Running::start(Models::Shipped).await;
    let mut visitor = Browser::default();
    let first = visitor.compose(&server, "").await;
    let second = visitor.compose(&server, "").await;
    assert_eq!(
        library(&server, &mut visitor, 1).await,
        (vec![second, first], 1, false)
    );

    // Someone else sees none of them, and cannot delete them.
    let mut stranger = Browser::default();
    let theirs = stranger.compose(&server, "").await;
    assert_eq!(library(&server, &mut stranger, 1).await.0, vec![theirs]);
    let (status, _) = stranger
        .post(&server, "delete_piece", &[("id", &first.to_string())])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = visitor
        .post(
            &server,
            "register",
            &registration("eve@gallery.example", PASSWORD, "Eve's Gallery"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        library(&server, &mut visitor, 1).await,
        (vec![second, first], 1, true)
    );

    visitor.post(&server, "log_out", &[]).await;
    assert_eq!(library(&server, &mut visitor, 1).await.0, Vec::<i64>::new());
    visitor
        .post(
            &server,
            "log_in",
            &[("email", "eve@gallery.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        library(&server, &mut visitor, 1).await.0,
        vec![second, first]
    );

    // The owner deletes one; it is gone for good.
    let (status, _) = visitor
        .post(&server, "delete_piece", &[("id", &first.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(library(&server, &mut visitor, 1).await.0, vec![second]);
    assert_eq!(server.get(&format!("/pieces/{first}")).await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn long_libraries_come_in_pages_newest_first() {
    use sea_orm::{ActiveModelTrait, Set};
    use services::storage::piece as piece_table;

    let server = Running::start(Models::Listed(&[])).await;
    let mut owner = Browser::default();
    owner
        .post(
            &server,
            "register",
            &registration("fay@hotel.example", PASSWORD, "Fay"),
        )
        .await;
    let user = {
        use sea_orm::EntityTrait;
        services::storage::user::Entity::find()
            .one(&server.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let mut ids = Vec::new();
    for n in 0..23 {
        let row = piece_table::ActiveModel {
            instrument: Set("piano".into()),
            length_seconds: Set(10),
            tempo_bpm: Set(100),
            tonic: Set(None),
            mode: Set(None),
            creativity: Set(1.0),
            seed: Set(n),
            model_version: Set("piano-test".into()),
            key_name: Set(None),
            seconds: Set(10.0),
            midi: Set(Vec::new()),
            fingerprint: Set(format!("v1-{n}")),
            created_at: Set(n),
            owner_id: Set(Some(user)),
            visitor: Set(None),
            ..Default::default()
        }
        .insert(&server.db)
        .await
        .unwrap();
        ids.push(row.id);
    }
    ids.reverse();
    let (first, pages, _) = library(&server, &mut owner, 1).await;
    assert_eq!((first.as_slice(), pages), (&ids[..20], 2));
    let (second, _, _) = library(&server, &mut owner, 2).await;
    assert_eq!(second, ids[20..]);
    // Past the end: the last page.
    assert_eq!(library(&server, &mut owner, 9).await.0, ids[20..]);
    server.stop().await;
}

#[tokio::test]
async fn session_cookies_are_secure_unless_a_plain_http_run_opts_out() {
    let register = |server: &Running| {
        crate::common::client()
            .post(server.url("/api/register"))
            .form(&registration(
                "ana@bakery.example",
                PASSWORD,
                "Ana's Bakery",
            ))
            .send()
    };
    let server = Running::start(Models::Listed(&[])).await;
    let response = register(&server).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    server.stop().await;

    let plain =
        Running::start_with(Models::Listed(&[]), |config| config.insecure_cookies = true).await;
    let response = register(&plain).await.unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!cookie.contains("Secure"), "{cookie}");
    plain.stop().await;
}

#[tokio::test]
async fn a_session_expires_thirty_days_after_its_last_request_not_after_sign_in() {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    use services::storage::session as session_table;

    let server = Running::start(Models::Listed(&[])).await;
    let mut owner = Browser::default();
    owner
        .post(
            &server,
            "register",
            &registration("gil@cafe.example", PASSWORD, "Gil"),
        )
        .await;
    // As if signed in 29 days ago and not seen since: a day to live.
    let row = session_table::Entity::find()
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    let mut data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&row.data).unwrap();
    data.retain(|key, _| key == "user_id");
    let day_left = services::storage::now() + 24 * 60 * 60;
    let mut aged = row.clone().into_active_model();
    aged.data = Set(serde_json::to_vec(&data).unwrap());
    aged.expires_at = Set(day_left);
    aged.update(&server.db).await.unwrap();

    // A request today gives it thirty days again, in the database and the cookie.
    assert_eq!(owner.who(&server).await.as_deref(), Some("Gil"));
    let refreshed = session_table::Entity::find_by_id(row.id.clone())
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    let thirty_days = 30 * 24 * 60 * 60;
    assert!(
        refreshed.expires_at >= services::storage::now() + thirty_days - 60,
        "{} left",
        refreshed.expires_at - services::storage::now()
    );
    let response = crate::common::client()
        .post(server.url("/api/current_user"))
        .header(reqwest::header::COOKIE, owner.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Once a day is enough: the second request of the day writes nothing.
    assert!(response.headers().get("set-cookie").is_none());
    server.stop().await;
}
