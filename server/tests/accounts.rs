//! Registering, logging in and out through the server functions, with the
//! session cookie as a browser keeps it.

mod common;

use common::{Models, Running};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

/// A browser's cookie jar for one site, reduced to the session cookie.
#[derive(Default)]
struct Browser {
    cookie: Option<String>,
}

impl Browser {
    async fn post(
        &mut self,
        server: &Running,
        function: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut request = reqwest::Client::new()
            .post(server.url(&format!("/api/{function}")))
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get(SET_COOKIE) {
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
        (response.status(), response.text().await.unwrap())
    }

    async fn who(&mut self, server: &Running) -> Option<String> {
        let (status, body) = self.post(server, "current_user", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let user: Option<serde_json::Value> = serde_json::from_str(&body).unwrap();
        user.map(|u| u["display_name"].as_str().unwrap().to_owned())
    }
}

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
    serde_json::from_str::<app::AppError>(body)
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
    let user = app::ssr::user_table::Entity::find()
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
        app::ssr::user_table::Entity::find()
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
