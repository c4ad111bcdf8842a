//! Composing through the server function, the piece's page, and its preview
//! audio with range requests, on a real server with the shipped models.

use crate::common::{
    Browser, Models, Running, Site, client, client_builder, piano_form, piece_of, text_of,
};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, COOKIE,
    LOCATION, RANGE,
};

fn form(length: &str, seed: &str) -> Vec<(&'static str, String)> {
    vec![
        ("instrument", "piano".into()),
        ("length_seconds", length.into()),
        ("tempo_bpm", "100".into()),
        ("key", "".into()),
        ("mode", "".into()),
        ("creativity", "1".into()),
        ("seed", seed.into()),
    ]
}

/// Composes through the server function as the page's script does; returns the piece's id.
async fn compose(server: &Running, seed: &str) -> i64 {
    compose_as_visitor(server, &form("12", seed)).await.0
}

/// Composes with `settings` as a new visitor; the piece's id and the
/// visitor's session cookie.
async fn compose_as_visitor(server: &Running, settings: &[(&str, String)]) -> (i64, String) {
    let response = client()
        .post(server.url("/api/compose"))
        .form(settings)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut visitor = Browser::default();
    visitor.keep_cookie(response.headers());
    let piece = piece_of(server, &visitor, response.json().await.unwrap()).await;
    (piece, visitor.cookie.unwrap())
}

/// A client that sends session `cookie` with every request.
fn owners_client(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(COOKIE, cookie.parse().unwrap());
    client_builder().default_headers(headers).build().unwrap()
}

/// Page `path` as seen with session `cookie`.
async fn page_as(server: &Running, cookie: &str, path: &str) -> String {
    let response = client()
        .get(server.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn composing_stores_the_piece_and_its_page_shows_the_player() {
    use sea_orm::EntityTrait;
    use services::storage::piece as piece_table;

    let server = Running::start(Models::Shipped).await;
    let (id, owner) = compose_as_visitor(&server, &form("12", "7")).await;
    let row = piece_table::Entity::find_by_id(id)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.instrument.as_str(), row.seed, row.tempo_bpm),
        ("piano", 7, 100)
    );
    assert!(
        row.model_version.starts_with("piano-"),
        "{}",
        row.model_version
    );
    assert!(row.fingerprint.starts_with("v1-"), "{}", row.fingerprint);
    let music = models::music::midi::read(&row.midi).unwrap();
    assert!(music.notes.len() > 10);
    assert!((10.0..=20.0).contains(&row.seconds), "{}", row.seconds);

    // The same seed and settings compose the same music again.
    let again = compose(&server, "7").await;
    let twin = piece_table::Entity::find_by_id(again)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(again, id);
    assert_eq!((twin.midi, twin.fingerprint), (row.midi, row.fingerprint));

    let html = page_as(&server, &owner, &format!("/pieces/{id}")).await;
    assert_eq!(
        text_of(&html, "title"),
        format!("{} · MixTape", services::storage::piece::title("piano", id))
    );
    assert!(
        html.contains(&format!(r#"src="/pieces/{id}/preview.ogg""#)),
        "{html}"
    );
    assert_eq!(
        html.matches(r#"class="roll-note""#).count(),
        music.notes.len()
    );
    assert!(html.contains("Seed</dt><dd>7</dd>"), "{html}");
    server.stop().await;
}

#[tokio::test]
async fn more_like_this_composes_the_same_settings_with_a_new_seed_and_regenerate_fills_the_form() {
    use sea_orm::EntityTrait;
    use services::storage::piece as piece_table;

    let server = Running::start(Models::Shipped).await;
    let mut settings = form("15", "7");
    settings[2].1 = "132".into();
    settings[3].1 = "E♭".into();
    settings[4].1 = "minor".into();
    settings[5].1 = "0.85".into();
    // A motif of three notes, which "More like this" keeps.
    settings.push(("motif", "60:0:1:80 64:1:1:80 67:2:2:80".into()));
    let client = client();
    let (id, owner) = compose_as_visitor(&server, &settings).await;
    let visitor = Browser {
        cookie: Some(owner.clone()),
    };
    let response = client
        .post(server.url("/api/more_like_this"))
        .header(COOKIE, &owner)
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let more = piece_of(&server, &visitor, response.json().await.unwrap()).await;
    assert_ne!(more, id);
    let load = |id: i64| piece_table::Entity::find_by_id(id).one(&server.db);
    let (first, second) = (
        load(id).await.unwrap().unwrap(),
        load(more).await.unwrap().unwrap(),
    );
    let settings_of = |row: &piece_table::Model| {
        (
            row.instrument.clone(),
            row.length_seconds,
            row.tempo_bpm,
            row.tonic,
            row.mode.clone(),
            row.creativity,
        )
    };
    assert_eq!(settings_of(&second), settings_of(&first));
    assert!(
        first
            .motif
            .as_deref()
            .is_some_and(|m| m.contains(r#""pitch":67"#)),
        "{:?}",
        first.motif
    );
    assert_eq!(second.motif, first.motif);
    assert_ne!(second.seed, first.seed);
    assert_ne!(second.midi, first.midi, "a new seed composes new music");

    // "Change settings and regenerate" opens the form with every setting
    // filled in, the seed for its owner only.
    let page = page_as(&server, &owner, &format!("/pieces/{id}")).await;
    let link = "/instruments?instrument=piano&amp;length_seconds=15&amp;tempo_bpm=132\
                &amp;meter=4%2F4&amp;energy=3&amp;tonic=E%E2%99%AD&amp;mode=minor&amp;creativity=0.85&amp;seed=7\
                &amp;motif=60%3A0%3A1%3A80+64%3A1%3A1%3A80+67%3A2%3A2%3A80";
    assert!(page.contains(link), "{page}");
    let (status, form_page) = server.get(&link.replace("&amp;", "&")).await;
    assert_eq!(status, 200);
    for filled in [
        r#"value="piano" selected"#,
        r#"name="length_seconds" type="number" min="10" max="180" step="1" value="15""#,
        r#"value="132""#,
        r#"value="E♭" selected"#,
        r#"value="minor" selected"#,
        r#"value="7""#,
        r#"name="motif" value="60:0:1:80 64:1:1:80 67:2:2:80""#,
        "Your motif: 3 notes, 4 beats (1.8 s at 132 BPM).",
    ] {
        assert!(form_page.contains(filled), "{filled} in {form_page}");
    }

    // Asking for more of a piece that does not exist is a clear 404.
    let response = client
        .post(server.url("/api/more_like_this"))
        .header(ACCEPT, "application/json")
        .form(&[("id", "999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("There is no piece at this address.")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_plain_form_post_goes_to_a_page_that_follows_the_piece_until_it_is_stored() {
    let server = Running::start(Models::Shipped).await;
    let client = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(server.url("/api/compose"))
        .header(ACCEPT, "text/html")
        .form(&form("10", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/generations/"), "{location}");
    let mut visitor = Browser::default();
    visitor.keep_cookie(response.headers());
    let cookie = visitor.cookie.unwrap();
    // Without scripts the page reloads itself until it sends the browser on.
    let piece = loop {
        let response = client
            .get(server.url(&location))
            .header(ACCEPT, "text/html")
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::FOUND {
            break response.headers()[LOCATION].to_str().unwrap().to_owned();
        }
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        assert!(
            page.contains(r#"<meta http-equiv="refresh" content="2">"#),
            "{page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(piece.starts_with("/pieces/"), "{piece}");
    page_as(&server, &cookie, &piece).await;
    server.stop().await;
}

#[tokio::test]
async fn invalid_settings_answer_422_with_a_message_per_field() {
    let server = Running::start(Models::Shipped).await;
    let mut fields = form("5", "-3");
    fields[0].1 = "kazoo".into();
    let response = client()
        .post(server.url("/api/compose"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: domain::error::AppError = response.json().await.unwrap();
    assert_eq!(
        error.field_message("instrument").as_deref(),
        Some("Choose one of the instruments listed.")
    );
    assert_eq!(
        error.field_message("length_seconds").as_deref(),
        Some("Enter a length in whole seconds from 10 to 180.")
    );
    assert_eq!(
        error.field_message("seed").as_deref(),
        Some("Enter a whole number from 0 to 9007199254740991.")
    );
    assert_eq!(error.field_message("tempo_bpm"), None);
    server.stop().await;
}

#[tokio::test]
async fn missing_pieces_are_404_on_the_page_and_the_audio() {
    let server = Running::start(Models::Listed(&[])).await;
    for path in ["/pieces/42", "/pieces/abc", "/pieces/0"] {
        let (status, html) = server.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            html.contains("There is no piece at this address."),
            "{path}: {html}"
        );
    }
    for path in ["/pieces/42/preview.ogg", "/pieces/abc/preview.ogg"] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("There is no piece"), "{body}");
    }
    server.stop().await;
}

/// Everything that shows a piece, or leads to it, for someone: its
/// composer's requests answer, nobody else's do.
#[tokio::test]
async fn a_piece_and_its_generation_are_their_composers_alone() {
    let server = Running::start(Models::Shipped).await;
    let mut composer = Browser::default();
    let (status, body) = composer
        .post(&server, "compose", &piano_form("10", "3"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let generation: i64 = body.parse().unwrap();
    let piece = piece_of(&server, &composer, generation).await;
    let mut signed_in = Browser::default();
    signed_in
        .register(&server, "bo@florist.example", "Bo's Flowers")
        .await;
    let mut visitor = Browser::default();
    visitor.compose(&server, "4").await;

    let (piece_id, generation_id) = (piece.to_string(), generation.to_string());
    let asks = [
        ("piece", "id", &piece_id),
        ("more_like_this", "id", &piece_id),
        ("generation_status", "id", &generation_id),
    ];
    let pages = [
        format!("/pieces/{piece}"),
        format!("/pieces/{piece}/preview.ogg"),
        format!("/generations/{generation}"),
    ];
    for (who, stranger) in [
        ("no session", &mut Browser::default()),
        ("another visitor", &mut visitor),
        ("another account", &mut signed_in),
    ] {
        for (function, field, value) in asks {
            let (status, body) = stranger.post(&server, function, &[(field, value)]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {function}: {body}");
        }
        for page in &pages {
            let (status, _, body) = stranger.get(&server, page).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {page}");
            let body = String::from_utf8_lossy(&body);
            assert!(!body.contains("roll-note"), "{who}: {page}: {body}");
        }
    }
    for (function, field, value) in asks {
        let (status, body) = composer.post(&server, function, &[(field, value)]).await;
        assert_eq!(status, StatusCode::OK, "{function}: {body}");
    }
    for page in &pages {
        let (status, _, _) = composer.get(&server, page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_preview_is_rendered_once_cached_and_served_with_ranges() {
    let server = Running::start(Models::Shipped).await;
    let (id, cookie) = compose_as_visitor(&server, &form("12", "11")).await;
    let url = server.url(&format!("/pieces/{id}/preview.ogg"));
    let client = owners_client(&cookie);

    // Three listeners at once get the same file, rendered once.
    let (a, b, c) = tokio::join!(
        client.get(&url).send(),
        client.get(&url).send(),
        client.get(&url).send()
    );
    let mut bodies = Vec::new();
    for response in [a, b, c] {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], "audio/ogg");
        assert_eq!(headers[ACCEPT_RANGES], "bytes");
        assert_eq!(headers[CACHE_CONTROL], "private, no-cache");
        let body = response.bytes().await.unwrap();
        assert_eq!(headers[CONTENT_LENGTH], body.len().to_string().as_str());
        bodies.push(body);
    }
    let whole = bodies[0].clone();
    assert!(bodies.iter().all(|b| *b == whole));
    assert_eq!(&whole[..4], b"OggS");

    let cache = server.dir.path().join("data/audio");
    let cached: Vec<_> = walk(&cache);
    let oggs = cached
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ogg"))
        .count();
    // Only the preview: the full version waits for its buyer's download.
    assert_eq!((oggs, cached.len()), (1, 1), "{cached:?}");

    let ranged = client
        .get(&url)
        .header(RANGE, "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()[CONTENT_RANGE].to_str().unwrap(),
        format!("bytes 100-199/{}", whole.len())
    );
    assert_eq!(ranged.bytes().await.unwrap(), whole[100..200]);

    let tail = client
        .get(&url)
        .header(RANGE, "bytes=-50")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap(), whole[whole.len() - 50..]);

    let beyond = client
        .get(&url)
        .header(RANGE, format!("bytes={}-", whole.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.headers()[CONTENT_RANGE].to_str().unwrap(),
        format!("bytes */{}", whole.len())
    );
    server.stop().await;
}

#[tokio::test]
async fn a_preview_request_given_up_half_way_does_not_render_the_piece_twice() {
    let server = Running::start(Models::Shipped).await;
    let (id, cookie) = compose_as_visitor(&server, &form("12", "11")).await;
    let url = server.url(&format!("/pieces/{id}/preview.ogg"));
    let client = owners_client(&cookie);
    // The browser moves on while the first rendering runs; the next asks at once.
    let given_up = tokio::time::timeout(
        std::time::Duration::from_millis(20),
        client.get(url.clone()).send(),
    )
    .await;
    assert!(given_up.is_err(), "the rendering took under 20 ms");
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(&response.bytes().await.unwrap()[..4], b"OggS");
    let cached = walk(&server.dir.path().join("data/audio"));
    assert_eq!(cached.len(), 1, "one preview, nothing partial: {cached:?}");
    server.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn a_compose_request_from_another_site_is_refused() {
    use reqwest::header::{HeaderName, ORIGIN, REFERER};
    use sea_orm::{EntityTrait, PaginatorTrait};
    use services::storage::piece as piece_table;
    const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

    let server = Running::start(Models::Shipped).await;
    // A client that says nothing of where its requests come from.
    let client = reqwest::Client::new();
    for headers in [
        vec![
            (ORIGIN, "http://evil.example"),
            (SEC_FETCH_SITE, "cross-site"),
        ],
        vec![
            (REFERER, "http://evil.example/page"),
            (SEC_FETCH_SITE, "cross-site"),
        ],
        // Neither Origin nor Sec-Fetch-Site: nothing says where it came from.
        vec![],
    ] {
        let mut request = client.post(server.url("/api/compose"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.form(&form("10", "1")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.text().await.unwrap(),
            "This request came from another site, so it was refused.\n"
        );
    }
    assert_eq!(
        piece_table::Entity::find().count(&server.db).await.unwrap(),
        0
    );

    // The site's own pages pass, named by Origin or by Sec-Fetch-Site.
    for (name, value) in [
        (ORIGIN, server.base.as_str()),
        (SEC_FETCH_SITE, "same-origin"),
    ] {
        let response = client
            .post(server.url("/api/compose"))
            .header(name, value)
            .form(&form("10", "1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    server.stop().await;

    // Behind a proxy that rewrites Host, the configured public origin decides,
    // scheme included.
    let public = Running::start_with(Models::Listed(&[]), |config| {
        config.public_origin = Some("https://mixtape.example".parse().unwrap());
    })
    .await;
    for (origin, expected) in [
        ("https://mixtape.example", StatusCode::OK),
        ("http://mixtape.example", StatusCode::FORBIDDEN),
        (public.base.as_str(), StatusCode::FORBIDDEN),
    ] {
        let response = client
            .post(public.url("/api/current_user"))
            .header(ORIGIN, origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{origin}");
    }
    public.stop().await;
}

#[tokio::test]
async fn a_form_of_a_megabyte_is_refused_with_413() {
    let server = Running::start(Models::Listed(&[])).await;
    let mut settings = form("12", "");
    settings[0].1 = "x".repeat(1 << 20);
    for function in ["compose", "register"] {
        let response = client()
            .post(server.url(&format!("/api/{function}")))
            .form(&settings)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{function}"
        );
    }
    server.stop().await;
}

/// The rendered audio files under a server's data directory, by extension.
fn audio_files(server: &Running, extension: &str) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(server.dir.path().join("data/audio")).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == extension) {
                files.push(path);
            }
        }
    }
    files
}

#[tokio::test]
async fn a_preview_renders_no_full_wav_and_deleting_a_piece_removes_its_audio() {
    use crate::common::Browser;

    let server = Running::start(Models::Shipped).await;
    let mut owner = Browser::default();
    let piece = owner.compose(&server, "40").await;
    let (status, _, _) = owner
        .get(&server, &format!("/pieces/{piece}/preview.ogg"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audio_files(&server, "ogg").len(), 1);
    assert_eq!(
        audio_files(&server, "wav").len(),
        0,
        "the full version before anyone bought it"
    );
    let (status, body) = owner
        .post(&server, "delete_piece", &[("id", &piece.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        audio_files(&server, "ogg").len(),
        0,
        "its preview outlived it"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_audio_cache_keeps_to_its_cap_dropping_the_least_recently_played() {
    use crate::common::Browser;

    let server = Running::start_with(Models::Shipped, |config| config.audio_cache_mb = 1).await;
    let mut visitor = Browser::default();
    let mut pieces = Vec::new();
    for seed in 0..16 {
        let piece = visitor.compose(&server, &(50 + seed).to_string()).await;
        pieces.push(piece);
        for played in [piece, pieces[0]] {
            let (status, _, _) = visitor
                .get(&server, &format!("/pieces/{played}/preview.ogg"))
                .await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    let sizes: Vec<u64> = audio_files(&server, "ogg")
        .iter()
        .map(|path| std::fs::metadata(path).unwrap().len())
        .collect();
    let largest = sizes.iter().copied().max().unwrap();
    assert!(
        sizes.iter().sum::<u64>() <= (1 << 20) + largest,
        "{sizes:?}"
    );
    assert!(sizes.len() < pieces.len(), "nothing was dropped: {sizes:?}");
    // The first piece, played all along, is kept; the second, played once, is not.
    let (_, _, first) = visitor
        .get(&server, &format!("/pieces/{}/preview.ogg", pieces[0]))
        .await;
    assert!(
        audio_files(&server, "ogg")
            .iter()
            .any(|path| std::fs::read(path).unwrap() == first)
    );
    server.stop().await;
}

#[tokio::test]
async fn piece_and_generation_addresses_do_not_lead_to_one_another() {
    let server = Running::start(Models::Shipped).await;
    let mut composer = Browser::default();
    let mut pieces = Vec::new();
    let mut generations = Vec::new();
    for _ in 0..3 {
        let (status, body) = composer
            .post(&server, "compose", &piano_form("10", ""))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let generation: i64 = body.parse().unwrap();
        generations.push(generation);
        pieces.push(piece_of(&server, &composer, generation).await);
    }
    for ids in [&pieces, &generations] {
        for pair in ids.windows(2) {
            // 51 random bits each: neighbours are not a step apart.
            assert!(pair[0] >= 1 << 51 && pair[1] >= 1 << 51, "{ids:?}");
            assert!((pair[0] - pair[1]).abs() > 1_000_000, "{ids:?}");
        }
    }
    for id in &pieces {
        for step in [-1, 1] {
            let (status, _) = server.get(&format!("/pieces/{}", id + step)).await;
            assert_eq!(status, 404);
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn each_instrument_has_an_example_at_each_energy_composed_once() {
    let server = Running::start(Models::Shipped).await;
    let (status, page) = server.get("/instruments").await;
    assert_eq!(status, 200);
    for level in 1..=5 {
        let url = format!("/examples/folk/{level}.ogg");
        assert!(page.contains(&url), "{url} on the instruments page");
    }
    let browser = Browser::default();
    let (status, headers, calm) = browser.get(&server, "/examples/folk/1.ogg").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "audio/ogg");
    assert!(calm.starts_with(b"OggS"));
    let (_, _, lively) = browser.get(&server, "/examples/folk/5.ogg").await;
    assert_ne!(calm, lively, "another energy, another piece");
    let (_, _, again) = browser.get(&server, "/examples/folk/1.ogg").await;
    assert_eq!(calm, again, "composed once, then served as it was");
    for missing in [
        "/examples/folk/0.ogg",
        "/examples/folk/6.ogg",
        "/examples/folk/loud.ogg",
        "/examples/folk/3.mp3",
        "/examples/kazoo/3.ogg",
    ] {
        let (status, _, _) = browser.get(&server, missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}
