//! The HTTP API under /api/v1: keys made and revoked on the account page,
//! every endpoint, another account's pieces and keys, the idempotent
//! purchase, problem details, the OpenAPI document, and the whole flow with
//! plain HTTP calls as curl would make them.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::common::{Browser, Models, Running, Site, client};

/// A client with no session and no same-origin header, as other software is.
fn outside() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

/// An answer: status, headers and JSON body (`Null` when there is none).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Answer {
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Asserts a problem+json answer of `status` and `kind`; its detail.
    fn problem(&self, status: StatusCode, kind: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.headers[CONTENT_TYPE], "application/problem+json",
            "{}",
            self.body
        );
        assert_eq!(
            self.body["type"],
            format!("/docs/api#{kind}"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status.as_u16());
        assert!(self.body["title"].as_str().is_some_and(|t| !t.is_empty()));
        self.body["detail"].as_str().unwrap().to_owned()
    }

    /// The message of field `field` in an invalid request's problem.
    fn field(&self, field: &str) -> String {
        self.body["errors"]
            .as_array()
            .and_then(|errors| errors.iter().find(|e| e["field"] == field))
            .and_then(|e| e["message"].as_str())
            .unwrap_or_else(|| panic!("no message for {field}: {}", self.body))
            .to_owned()
    }
}

/// Calls the API as a client holding `key` (none: no Authorization header).
struct Api<'a> {
    server: &'a Running,
    key: Option<String>,
}

impl Api<'_> {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("/api/v1") {
            self.server.url(path)
        } else {
            self.server.url(&format!("/api/v1{path}"))
        };
        let request = outside().request(method, url);
        match &self.key {
            Some(key) => request.header(AUTHORIZATION, format!("Bearer {key}")),
            None => request,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        Answer::of(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        Answer::of(
            self.request(reqwest::Method::POST, path)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn delete(&self, path: &str) -> Answer {
        Answer::of(
            self.request(reqwest::Method::DELETE, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn purchase(&self, piece: i64, idempotency: Option<&str>, number: &str) -> Answer {
        let mut request = self
            .request(reqwest::Method::POST, &format!("/pieces/{piece}/purchase"))
            .json(&json!({
                "name": "Ana Pereira",
                "number": number,
                "expiry": "12/30",
                "cvv": "8317",
                "licensee": "Pereira Films Lda",
            }));
        if let Some(key) = idempotency {
            request = request.header("Idempotency-Key", key);
        }
        Answer::of(request.send().await.unwrap()).await
    }

    /// Composes a 10-second piano piece and waits for it; the piece's id.
    async fn compose(&self, seed: Option<u64>) -> i64 {
        let mut settings = json!({"instrument": "piano", "length_seconds": 10});
        if let Some(seed) = seed {
            settings["seed"] = json!(seed);
        }
        self.compose_with(settings).await
    }

    /// Composes a piece with `settings` and waits for it; the piece's id.
    async fn compose_with(&self, settings: Value) -> i64 {
        let queued = self.post("/pieces", settings).await;
        assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
        let location = queued.headers[LOCATION].to_str().unwrap().to_owned();
        assert_eq!(location, queued.body["links"]["self"]);
        for _ in 0..1200 {
            let state = self.get(&location).await;
            assert_eq!(state.status, StatusCode::OK, "{}", state.body);
            match state.body["status"].as_str().unwrap() {
                "done" => {
                    let piece = state.body["piece_id"].as_i64().unwrap();
                    assert_eq!(
                        state.body["links"]["piece"],
                        format!("/api/v1/pieces/{piece}")
                    );
                    return piece;
                }
                "failed" => panic!("{}", state.body),
                "queued" => assert!(state.body["ahead"].is_u64()),
                _ => {}
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("not composed after a minute");
    }
}

/// Registers an account in `browser` and makes it a key named `name`; the key's secret.
async fn account_with_key(server: &Running, browser: &mut Browser, email: &str) -> String {
    browser.register(server, email, "Pereira Films").await;
    let (status, body) = browser
        .post(server, "create_api_key", &[("name", "Video tool")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let made: Value = serde_json::from_str(&body).unwrap();
    made["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn keys_are_made_listed_and_revoked_on_the_account_page_and_authenticate_their_account_only()
{
    let server = Running::start(Models::Listed(&["piano"])).await;

    // Signed out, the account page's functions want a sign-in.
    let mut visitor = Browser::default();
    let (status, _) = visitor
        .post(&server, "create_api_key", &[("name", "x")])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut ana = Browser::default();
    let secret = account_with_key(&server, &mut ana, "ana@example.com").await;
    assert!(secret.starts_with("mtk_") && secret.len() == 68, "{secret}");
    let (status, body) = ana.post(&server, "api_keys", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let keys: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    let key = &keys[0];
    assert_eq!(key["name"], "Video tool");
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    // The list never shows a secret again; the table keeps only its digest.
    assert!(!body.contains(&secret[4..]));
    let stored = services::storage::api_key::Entity::find()
        .all(&server.db)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|row| !row.secret_hash.contains(&secret[4..]))
    );

    // A name out of its limits is refused with the field's message.
    let (status, body) = ana.post(&server, "create_api_key", &[("name", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let api = Api {
        server: &server,
        key: Some(secret.clone()),
    };
    let instruments = api.get("/instruments").await;
    assert_eq!(instruments.status, StatusCode::OK, "{}", instruments.body);
    assert_eq!(instruments.body["instruments"][0]["id"], "piano");
    assert_eq!(instruments.body["settings"]["tempo_bpm"]["max"], 220.0);
    assert_eq!(instruments.body["settings"]["tonics"][2], "D");

    // No key, another scheme, a malformed or unknown key: 401, with the scheme to use.
    for header in [
        None,
        Some(format!("Basic {secret}")),
        Some("Bearer not-a-key".to_owned()),
        Some(format!("Bearer mtk_{}", "0".repeat(64))),
    ] {
        let mut request = outside().get(server.url("/api/v1/instruments"));
        if let Some(header) = &header {
            request = request.header(AUTHORIZATION, header);
        }
        let answer = Answer::of(request.send().await.unwrap()).await;
        answer.problem(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(
            answer.headers[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{header:?}"
        );
    }

    // Another account can neither revoke Ana's key nor learn that it exists.
    let mut rui = Browser::default();
    let rui_secret = account_with_key(&server, &mut rui, "rui@example.com").await;
    let id = key["id"].as_i64().unwrap().to_string();
    let (status, _) = rui.post(&server, "revoke_api_key", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/instruments").await.status, StatusCode::OK);

    // Revoked, the key is refused with the reason; the other account's still works.
    let (status, body) = ana.post(&server, "revoke_api_key", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refused = api.get("/instruments").await;
    let detail = refused.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(detail.contains("revoked"), "{detail}");
    let (_, body) = ana.post(&server, "api_keys", &[]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["revoked"],
        true
    );
    let rui_api = Api {
        server: &server,
        key: Some(rui_secret),
    };
    assert_eq!(rui_api.get("/instruments").await.status, StatusCode::OK);

    // The account page lists the keys for the browser, signed in or not.
    let (status, _, html) = ana.get(&server, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(html).unwrap().contains("API keys"));
}

#[tokio::test]
async fn bad_requests_get_problem_details_with_a_message_per_field() {
    let server = Running::start(Models::Listed(&["piano"])).await;
    let mut ana = Browser::default();
    let api = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };

    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "tempo_bpm": 500, "tonic": 12, "creativity": 9}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("tempo_bpm").contains("40 to 220"));
    assert!(answer.field("tonic").contains("0 (C) to 11 (B)"));
    assert!(answer.field("creativity").contains("0.5 to 1.5"));

    let answer = api.post("/pieces", json!({"instrument": "kazoo"})).await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("instrument").contains("instruments listed"));

    // Energy outside 1 to 5; a meter the instrument's model does not know
    // (this folder's model knows only 4/4, as every model from before meters).
    let answer = api
        .post("/pieces", json!({"instrument": "piano", "energy": 9}))
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("energy").contains("1 to 5"));
    let answer = api
        .post("/pieces", json!({"instrument": "piano", "meter": "6/8"}))
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(
        answer.field("meter"),
        "The piano composes in 4/4; choose one of those."
    );
    let instruments = api.get("/instruments").await;
    assert_eq!(instruments.body["instruments"][0]["meters"], json!(["4/4"]));
    assert_eq!(instruments.body["settings"]["energy"]["max"], json!(5.0));

    // Not JSON, the wrong types, the wrong media type: one clear message each.
    for request in [
        api.request(reqwest::Method::POST, "/pieces")
            .header(CONTENT_TYPE, "application/json")
            .body("{\"instrument\": "),
        api.request(reqwest::Method::POST, "/pieces")
            .json(&json!({"instrument": "piano", "length_seconds": "long"})),
        api.request(reqwest::Method::POST, "/pieces")
            .json(&json!({"instrument": "piano", "meter": "5/4"})),
        api.request(reqwest::Method::POST, "/pieces")
            .body("instrument=piano"),
    ] {
        let answer = Answer::of(request.send().await.unwrap()).await;
        let detail = answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail.contains("JSON"), "{detail}");
    }

    let answer = api.get("/pieces?page=first").await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    for path in [
        "/pieces/abc",
        "/pieces/0",
        "/generations/-4",
        "/no/such/route",
    ] {
        api.get(path)
            .await
            .problem(StatusCode::NOT_FOUND, "not-found");
    }
    let answer = api.get("/pieces?page=1").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        (answer.body["page"].as_u64(), answer.body["pages"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(answer.body["pieces"], json!([]));

    // A piece that cannot be composed here (an empty model folder) fails with its reason.
    let queued = api.post("/pieces", json!({"instrument": "piano"})).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    let location = queued.headers[LOCATION].to_str().unwrap().to_owned();
    let mut state = Value::Null;
    for _ in 0..400 {
        state = api.get(&location).await.body;
        if state["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state["status"], "failed", "{state}");
    assert!(state["message"].as_str().is_some_and(|m| !m.is_empty()));

    // The site's cross-site check and sessions are not the API's: no cookie is set.
    let answer = Answer::of(
        api.request(reqwest::Method::GET, "/instruments")
            .header("origin", "https://elsewhere.example")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn compose_listen_buy_and_download_with_a_key_as_curl_would() {
    let server = Running::start(Models::Shipped).await;
    let mut ana = Browser::default();
    let api = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };

    let piece = api.compose(None).await;
    let shown = api.get(&format!("/pieces/{piece}")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.body["settings"]["instrument"], "piano");
    assert_eq!(shown.body["settings"]["length_seconds"], 10);
    assert!(
        shown.body["settings"]["seed"].is_u64(),
        "the owner sees the seed"
    );
    assert_eq!(shown.body["sale"]["status"], "for_sale");
    assert!(shown.body["sale"]["price"].is_string());
    assert!(shown.body["links"]["wav"].is_null());
    let preview = shown.body["links"]["preview"].as_str().unwrap();
    let response = api
        .request(reqwest::Method::GET, preview)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "audio/ogg");
    // Without the key it is asked for, and on the site, without a session,
    // it is not found.
    let response = outside().get(server.url(preview)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let site = server.url(&format!("/pieces/{piece}/preview.ogg"));
    let response = outside().get(site).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The API's pieces are the account's: the site's library lists them too.
    let (_, body) = ana.post(&server, "my_pieces", &[("page", "1")]).await;
    assert!(body.contains(&piece.to_string()), "{body}");
    let listed = api.get("/pieces").await;
    assert_eq!(listed.body["pieces"][0]["id"], piece);
    assert_eq!(listed.body["pieces"][0]["sold"], false);

    // Not bought yet: no downloads.
    api.get(&format!("/pieces/{piece}/piece.mid"))
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");

    // A purchase needs an idempotency key, and a declined card charges nothing.
    let answer = api.purchase(piece, None, "4242 4242 4242 4242").await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("Idempotency-Key").contains("Idempotency-Key"));
    let answer = api
        .purchase(piece, Some("first-try"), "4242 4242 4242 4241")
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        answer.field("number").contains("card number"),
        "{}",
        answer.body
    );
    let declined = api
        .purchase(piece, Some("declined-1"), "4000 0000 0000 0002")
        .await;
    declined.problem(StatusCode::PAYMENT_REQUIRED, "payment-declined");

    // Bought once; the same key again answers the same sale and charges nothing more.
    let bought = api
        .purchase(piece, Some("order-7781"), "4242 4242 4242 4242")
        .await;
    assert_eq!(bought.status, StatusCode::OK, "{}", bought.body);
    assert_eq!(bought.body["sale"]["status"], "owned");
    let copyright_id = bought.body["sale"]["copyright_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = api
        .purchase(piece, Some("order-7781"), "4242 4242 4242 4242")
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["sale"]["copyright_id"], copyright_id.as_str());
    // The same key with another body (another card, another piece) is a
    // mistake of the client's: 422, and nothing charged.
    let reused = api
        .purchase(piece, Some("order-7781"), "5555 5555 5555 4444")
        .await;
    reused.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(reused.field("Idempotency-Key").contains("other details"));
    let other_piece = api.compose(None).await;
    api.purchase(other_piece, Some("order-7781"), "4242 4242 4242 4242")
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // The declined attempt and the sale: no second charge.
    let charges = services::storage::sandbox_charge::Entity::find()
        .count(&server.db)
        .await
        .unwrap();
    assert_eq!(charges, 2);
    let sales = services::storage::sale::Entity::find()
        .count(&server.db)
        .await
        .unwrap();
    assert_eq!(sales, 1);
    // Another key for the same piece: sold.
    api.purchase(piece, Some("order-7782"), "4242 4242 4242 4242")
        .await
        .problem(StatusCode::CONFLICT, "conflict");

    // The owner's downloads, from the links the piece gives.
    let links = &bought.body["links"];
    let wav = api
        .request(reqwest::Method::GET, links["wav"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(wav.status(), StatusCode::OK);
    assert_eq!(&wav.bytes().await.unwrap()[..4], b"RIFF");
    let midi = api
        .request(reqwest::Method::GET, links["midi"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(midi.status(), StatusCode::OK);
    assert_eq!(&midi.bytes().await.unwrap()[..4], b"MThd");
    let certificate = api.get(links["certificate"].as_str().unwrap()).await;
    assert_eq!(certificate.status, StatusCode::OK, "{}", certificate.body);
    assert_eq!(certificate.body["copyright_id"], copyright_id.as_str());
    assert_eq!(certificate.body["owner"], "Pereira Films Lda");
    let (status, _, _) = Browser::default()
        .get(&server, &format!("/verify/{copyright_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Sold pieces stay; an unsold one is deleted.
    api.delete(&format!("/pieces/{piece}"))
        .await
        .problem(StatusCode::CONFLICT, "conflict");
    let other = api.compose(None).await;
    assert_eq!(
        api.delete(&format!("/pieces/{other}")).await.status,
        StatusCode::NO_CONTENT
    );
    api.get(&format!("/pieces/{other}"))
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn another_accounts_pieces_generations_and_downloads_are_not_found() {
    let server = Running::start(Models::Shipped).await;
    let (mut ana, mut rui) = (Browser::default(), Browser::default());
    let ana_api = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };
    let rui_api = Api {
        key: Some(account_with_key(&server, &mut rui, "rui@example.com").await),
        server: &server,
    };
    let queued = ana_api
        .post(
            "/pieces",
            json!({"instrument": "piano", "length_seconds": 10}),
        )
        .await;
    let generation = queued.body["id"].as_i64().unwrap();
    let piece = ana_api.compose(None).await;
    ana_api
        .purchase(piece, Some("k1"), "4242 4242 4242 4242")
        .await;
    let unsold = ana_api.compose(None).await;

    rui_api
        .get(&format!("/generations/{generation}"))
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    for id in [piece, unsold] {
        for path in [
            "",
            "/preview.ogg",
            "/full.wav",
            "/piece.mid",
            "/certificate",
        ] {
            rui_api
                .get(&format!("/pieces/{id}{path}"))
                .await
                .problem(StatusCode::NOT_FOUND, "not-found");
        }
        rui_api
            .purchase(id, Some("k1"), "4242 4242 4242 4242")
            .await
            .problem(StatusCode::NOT_FOUND, "not-found");
        rui_api
            .delete(&format!("/pieces/{id}"))
            .await
            .problem(StatusCode::NOT_FOUND, "not-found");
    }
    assert_eq!(rui_api.get("/pieces").await.body["pieces"], json!([]));
    // Ana's pieces are all still there, one sold.
    assert_eq!(
        services::storage::piece::Entity::find()
            .count(&server.db)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        ana_api.get(&format!("/pieces/{piece}")).await.body["sale"]["status"],
        "owned"
    );
    assert_eq!(
        ana_api.get(&format!("/pieces/{unsold}")).await.body["sale"]["status"],
        "for_sale"
    );
}

/// Every route of the API with its method, as the document must list them.
const ROUTES: [(&str, &str); 12] = [
    ("get", "/api/v1/instruments"),
    ("post", "/api/v1/pieces"),
    ("get", "/api/v1/pieces"),
    ("get", "/api/v1/generations/{id}"),
    ("get", "/api/v1/pieces/{id}"),
    ("delete", "/api/v1/pieces/{id}"),
    ("post", "/api/v1/pieces/{id}/purchase"),
    ("get", "/api/v1/pieces/{id}/preview.ogg"),
    ("get", "/api/v1/pieces/{id}/full.wav"),
    ("get", "/api/v1/pieces/{id}/piece.mid"),
    ("get", "/api/v1/pieces/{id}/certificate"),
    ("get", "/api/v1/openapi.json"),
];

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_holds_together() {
    let server = Running::start(Models::Listed(&["piano"])).await;
    let answer = Answer::of(
        outside()
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let document = answer.body;
    assert_eq!(
        document,
        serde_json::to_value(server::api::openapi()).unwrap()
    );
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(document["info"]["title"], "MixTape API");
    assert_eq!(
        document["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );

    let paths = document["paths"].as_object().unwrap();
    let listed: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        listed,
        ROUTES.len(),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (method, path) in ROUTES {
        let operation = &paths[path][method];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the document"
        );
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty())
        );
        // And the server answers it (an unknown route is the API's 404 problem).
        let url = server.url(&path.replace("{id}", "1"));
        let response = outside()
            .request(method.to_uppercase().parse().unwrap(), url)
            .send()
            .await
            .unwrap();
        let expected = if path.ends_with("openapi.json") {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(response.status(), expected, "{method} {path}");
    }

    // Every reference resolves to a schema of the document.
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(found.len() > 10);
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target}"));
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target} is not in the document"
        );
    }

    // The documentation page explains the flow and every kind of problem.
    let (status, html) = server.get("/docs/api").await;
    assert_eq!(status, 200);
    for kind in domain::error::PROBLEM_KINDS {
        assert!(
            html.contains(&format!("id=\"{}\"", kind.anchor)),
            "{}",
            kind.anchor
        );
    }
    for step in ["/api/v1/pieces", "Idempotency-Key", "Authorization: Bearer"] {
        assert!(html.contains(step), "{step}");
    }
}

#[tokio::test]
async fn a_full_queue_answers_429_with_retry_after() {
    let server = Running::start_with(Models::Shipped, |config| {
        config.workers = std::num::NonZeroUsize::new(1);
        config.queue = Some(1);
    })
    .await;
    let mut ana = Browser::default();
    let api = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };
    // Four in flight and one waiting at most: of twelve at once, most are turned away.
    let attempts = (0..12).map(|_| {
        api.post(
            "/pieces",
            json!({"instrument": "piano", "length_seconds": 180}),
        )
    });
    let answers = futures::future::join_all(attempts).await;
    let busy: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(busy.len() >= 7, "{} refused", busy.len());
    for answer in busy {
        let detail = answer.problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
        assert!(detail.starts_with("The studio is busy"), "{detail}");
        let seconds: u32 = answer.headers[RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=600).contains(&seconds), "{seconds}");
    }
}

#[tokio::test]
async fn composing_is_limited_per_key_and_per_account_as_on_the_site() {
    let server = Running::start_with(Models::Listed(&["piano"]), |config| {
        config.compose_limit = 2;
    })
    .await;
    let mut ana = Browser::default();
    let first = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };
    for _ in 0..2 {
        let answer = first.post("/pieces", json!({"instrument": "piano"})).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    }
    let refused = first.post("/pieces", json!({"instrument": "piano"})).await;
    let detail = refused.problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    assert!(detail.contains("many pieces"), "{detail}");
    assert!(refused.headers.contains_key(RETRY_AFTER));

    // Another key of the same account shares the account's limit.
    let (status, body) = ana
        .post(&server, "create_api_key", &[("name", "Second tool")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = Api {
        key: Some(
            serde_json::from_str::<Value>(&body).unwrap()["secret"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        server: &server,
    };
    second
        .post("/pieces", json!({"instrument": "piano"}))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");

    // Another account's key is not held back by Ana's.
    let mut rui = Browser::default();
    let other = Api {
        key: Some(account_with_key(&server, &mut rui, "rui@example.com").await),
        server: &server,
    };
    let answer = other.post("/pieces", json!({"instrument": "piano"})).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
}

/// The pitches and starts (in beats) of the first `count` notes of piece
/// `id`'s stored music, moved to start at 0.
async fn opening(server: &Running, id: i64, count: usize) -> Vec<(u8, f64)> {
    let row = services::storage::piece::Entity::find_by_id(id)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    let music = models::music::midi::read(&row.midi).unwrap();
    let mut notes = music.notes.clone();
    notes.sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.pitch.cmp(&b.pitch)));
    let first = notes[0].onset;
    notes
        .iter()
        .take(count)
        .map(|n| (n.pitch, n.onset - first))
        .collect()
}

/// Pitch steps between neighbours: the motif's shape in any key.
fn steps(notes: &[(u8, f64)]) -> Vec<i32> {
    notes
        .windows(2)
        .map(|w| i32::from(w[1].0) - i32::from(w[0].0))
        .collect()
}

#[tokio::test]
async fn a_piece_starts_from_a_motif_given_as_notes_or_as_a_midi_file() {
    use base64::Engine;
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let server = Running::start(Models::Shipped).await;
    let mut ana = Browser::default();
    let api = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };

    // Eight eighth notes up and down a C major scale.
    let tune = [60u8, 62, 64, 65, 67, 65, 64, 62];
    let notes: Vec<Value> = tune
        .iter()
        .enumerate()
        .map(|(i, pitch)| json!({"pitch": pitch, "start": i as f64 * 0.5, "length": 0.5}))
        .collect();
    let piece = api
        .compose_with(json!({"instrument": "piano", "length_seconds": 10, "motif": notes}))
        .await;
    let shown = api.get(&format!("/pieces/{piece}")).await;
    let motif = shown.body["settings"]["motif"].as_array().unwrap();
    assert_eq!(motif.len(), 8, "{}", shown.body);
    assert_eq!(motif[7]["start"], 3.5);
    // The piece opens with the motif, note for note and in time; its own
    // music starts after the motif's last note begins.
    let expected: Vec<(u8, f64)> = tune
        .iter()
        .enumerate()
        .map(|(i, pitch)| (*pitch, i as f64 * 0.5))
        .collect();
    let heard = opening(&server, piece, 9).await;
    assert_eq!(steps(&heard[..8]), steps(&expected), "{heard:?}");
    let starts: Vec<f64> = heard[..8].iter().map(|n| n.1).collect();
    let beats: Vec<f64> = expected.iter().map(|n| n.1).collect();
    // Written at the piece's tempo and read back as beats.
    for (got, want) in starts.iter().zip(&beats) {
        assert!((got - want).abs() < 0.01, "{starts:?}");
    }
    assert!(heard[8].1 > 3.5, "{heard:?}");

    // The same motif as a MIDI file, sent as base64.
    let file: Vec<models::Note> = expected
        .iter()
        .map(|&(pitch, onset)| models::Note {
            onset: onset + 1.0,
            duration: 0.5,
            pitch,
            velocity: 90,
            program: 0,
            part: 0,
        })
        .collect();
    let midi = models::music::midi::write(&file, 0, 120.0, Default::default());
    let from_file = api
        .compose_with(
            json!({"instrument": "piano", "length_seconds": 10, "motif_midi": base64(&midi)}),
        )
        .await;
    let heard = opening(&server, from_file, 8).await;
    assert_eq!(steps(&heard), steps(&expected), "{heard:?}");
    let shown = api.get(&format!("/pieces/{from_file}")).await;
    assert_eq!(
        shown.body["settings"]["motif"][0]["start"], 0.0,
        "{}",
        shown.body
    );

    // Both ways at once, a corrupt file, text that is not base64, a motif
    // longer than half the piece, a file over 1 MiB: each its message.
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "motif": notes, "motif_midi": base64(&midi)}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("motif_midi").contains("not both"));
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "motif_midi": base64(b"MThd\0\0\0\x06 not music")}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let message = answer.field("motif_midi");
    assert!(
        message.starts_with("This is not a MIDI file MixTape can read ("),
        "{message}"
    );
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "motif_midi": "not base64!"}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("motif_midi").contains("not base64"));
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "tempo_bpm": 40, "length_seconds": 10, "motif": notes}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        answer
            .field("motif")
            .starts_with("Your motif lasts 6.0 seconds at 40 BPM")
    );
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "motif": [{"pitch": 200, "start": 0, "length": 1}]}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("Note 1: a pitch"),
        "{}",
        answer.body
    );
    let big = vec![0u8; domain::motif::MAX_FILE_BYTES + 1];
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "motif_midi": base64(&big)}),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(answer.field("motif_midi").contains("at most 1,024 KiB"));
    // A body past the file's limit is refused before it is read.
    let huge = base64(&vec![0u8; 2 * domain::motif::MAX_FILE_BYTES]);
    let answer = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "motif_midi": huge}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A sold piece's music is refused as a motif, like any copy of it.
    let bought = api
        .purchase(piece, Some("motif-order"), "4242 4242 4242 4242")
        .await;
    assert_eq!(bought.status, StatusCode::OK, "{}", bought.body);
    let sold = api
        .request(reqwest::Method::GET, &format!("/pieces/{piece}/piece.mid"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let detail = api
        .post(
            "/pieces",
            json!({"instrument": "piano", "length_seconds": 60, "motif_midi": base64(&sold)}),
        )
        .await
        .problem(StatusCode::CONFLICT, "conflict");
    assert!(detail.contains("exclusive rights were sold"), "{detail}");
}

/// Sends `body` to `path` over a raw connection, in chunks when `chunked`
/// (no length said up front), else with its `Content-Length`; the answer's
/// status line, headers and body as text.
async fn raw_post(server: &Running, key: &str, path: &str, body: &[u8], chunked: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let length = match chunked {
        true => "Transfer-Encoding: chunked".to_owned(),
        false => format!("Content-Length: {}", body.len()),
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nIdempotency-Key: big\r\n{length}\r\nConnection: close\r\n\r\n"
    );
    // The server may answer and close before the body is all sent.
    let _ = stream.write_all(head.as_bytes()).await;
    for chunk in body.chunks(4096) {
        let sent = match chunked {
            true => {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(chunk);
                framed.extend_from_slice(b"\r\n");
                stream.write_all(&framed).await
            }
            false => stream.write_all(chunk).await,
        };
        if sent.is_err() {
            break;
        }
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn an_oversized_body_is_413_as_a_problem_whether_chunked_or_not() {
    let server = Running::start(Models::Listed(&[])).await;
    let mut ana = Browser::default();
    let key = account_with_key(&server, &mut ana, "ana@example.com").await;
    // Over the limit of the one route that takes a MIDI file.
    let body = format!(r#"{{"instrument": "{}"}}"#, "x".repeat(2 << 20));
    for chunked in [true, false] {
        let path = "/api/v1/pieces";
        let answer = raw_post(&server, &key, path, body.as_bytes(), chunked).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "chunked {chunked}: {answer}"
        );
        let lower = answer.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/problem+json"),
            "chunked {chunked}: {answer}"
        );
        assert!(answer.contains("/docs/api#too-large"), "{answer}");
    }
    server.stop().await;
}

/// Reading a MIDI file is counted before the file is decoded: over the
/// motif limit, the site's reader and the API answer 429 without reading it.
#[tokio::test]
async fn midi_files_are_counted_before_they_are_read() {
    let server = Running::start_with(Models::Listed(&[]), |config| config.motif_limit = 2).await;
    let mut ana = Browser::default();
    let api = Api {
        key: Some(account_with_key(&server, &mut ana, "ana@example.com").await),
        server: &server,
    };
    let garbage = json!({"instrument": "piano", "motif_midi": "not base64!"});
    for expected in [
        StatusCode::UNPROCESSABLE_ENTITY,
        StatusCode::UNPROCESSABLE_ENTITY,
    ] {
        let answer = api.post("/pieces", garbage.clone()).await;
        assert_eq!(answer.status, expected, "{}", answer.body);
    }
    api.post("/pieces", garbage)
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    server.stop().await;

    // On the site, a visitor's reads are counted from the first.
    let server = Running::start_with(Models::Listed(&[]), |config| config.motif_limit = 2).await;
    let mut visitor = Browser::default();
    let read = |browser: &mut Browser| {
        let request = client()
            .post(server.url("/api/read_motif"))
            .json(&json!({"midi_base64": "not base64!"}));
        let request = match &browser.cookie {
            Some(cookie) => request.header(reqwest::header::COOKIE, cookie),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = read(&mut visitor).await;
        visitor.keep_cookie(response.headers());
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 429]);
    server.stop().await;
}
