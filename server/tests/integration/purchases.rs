//! Buying exclusive rights through the server functions: one sale per piece
//! and per music, idempotent checkouts, declined cards, the buyer's
//! downloads and certificate, the public verification page, and settling
//! what a crash leaves half done.

use crate::common::{Browser, Models, Running, Site, generation_status, piano_form, piece_of};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, PaginatorTrait};
use services::storage::{
    piece as piece_table, sale as sale_table, sandbox_charge as sandbox_charge_table,
};

const GOOD_CARD: &str = "4242 4242 4242 4242";
const CVV: &str = "8317";
const TOO_CLOSE: &str = "This piece's music is too close to a piece already sold, so its exclusive rights cannot be sold. Compose another piece.";

/// A new checkout key for `piece`.
pub async fn checkout(
    server: &impl Site,
    browser: &mut Browser,
    piece: i64,
) -> (StatusCode, String) {
    let (status, body) = browser
        .post(server, "checkout", &[("piece_id", &piece.to_string())])
        .await;
    if status != StatusCode::OK {
        return (status, body);
    }
    let checkout: serde_json::Value = serde_json::from_str(&body).unwrap();
    (status, checkout["key"].as_str().unwrap().to_owned())
}

pub async fn buy(
    server: &impl Site,
    browser: &mut Browser,
    piece: i64,
    key: &str,
    number: &str,
) -> (StatusCode, String) {
    browser
        .post(
            server,
            "buy",
            &[
                ("piece_id", &piece.to_string()),
                ("key", key),
                ("name", "Ana Pereira"),
                ("number", number),
                ("expiry", "12/30"),
                ("cvv", CVV),
            ],
        )
        .await
}

fn message(body: &str) -> String {
    serde_json::from_str::<domain::error::AppError>(body)
        .map(|err| err.to_string())
        .unwrap_or_else(|_| body.to_owned())
}

async fn count<E>(server: &Running, _: E) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(&server.db).await.unwrap()
}

#[tokio::test]
async fn a_piece_is_sold_once_and_only_its_buyer_gets_the_full_files() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "5").await;

    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let copyright_id: String = serde_json::from_str(&body).unwrap();
    let parsed: domain::copyright_id::CopyrightId = copyright_id.parse().unwrap();
    assert_eq!(parsed.as_str(), copyright_id);

    let sale = sale_table::Entity::find()
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            sale.status.to_value().as_str(),
            sale.piece_id,
            sale.price_minor,
            sale.currency.as_str()
        ),
        ("paid", piece, 25_000, "INR")
    );
    assert_eq!(
        (sale.card_brand.as_deref(), sale.card_last4.as_deref()),
        (Some("Visa"), Some("4242"))
    );
    assert_eq!(sale.licence_version, "MT-EXCLUSIVE-1");
    assert!(
        sale.charge_id
            .as_deref()
            .unwrap()
            .starts_with("ch_sandbox_")
    );

    // Sold: no second checkout, for the buyer or anyone else.
    let (status, body) = checkout(&server, &mut buyer, piece).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&body), "This piece has already been sold.");

    // The buyer downloads the WAV and the MIDI, named by the copyright ID.
    let (status, headers, wav) = buyer
        .get(&server, &format!("/pieces/{piece}/full.wav"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(wav.starts_with(b"RIFF") && &wav[8..12] == b"WAVE");
    assert_eq!(
        headers[CONTENT_DISPOSITION],
        format!("attachment; filename=\"{copyright_id}.wav\"").as_str()
    );
    let (status, headers, midi) = buyer
        .get(&server, &format!("/pieces/{piece}/piece.mid"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "audio/midi");
    let stored = piece_table::Entity::find_by_id(piece)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(midi, stored.midi);

    // Anyone else, signed in or not, gets neither, whatever address they
    // guess; to another account the piece does not exist.
    let mut other = Browser::default();
    other
        .register(&server, "bo@florist.example", "Bo's Flowers")
        .await;
    for (who, expected) in [
        (&other, StatusCode::NOT_FOUND),
        (&Browser::default(), StatusCode::UNAUTHORIZED),
    ] {
        for file in ["full.wav", "piece.mid", "certificate"] {
            let (status, _, _) = who.get(&server, &format!("/pieces/{piece}/{file}")).await;
            assert_eq!(status, expected, "{file}");
        }
    }
    for path in [
        "/pieces/999999/full.wav",
        "/pieces/abc/piece.mid",
        "/pieces/999999/certificate",
    ] {
        let (status, _, _) = buyer.get(&server, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // The piece's page: downloads for the buyer, nothing for anyone else.
    let (_, _, page) = buyer.get(&server, &format!("/pieces/{piece}")).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("You own this piece."), "{page}");
    assert!(page.contains(&format!("/pieces/{piece}/full.wav")));
    for who in [&other, &Browser::default()] {
        let (status, _, page) = who.get(&server, &format!("/pieces/{piece}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let page = String::from_utf8(page).unwrap();
        assert!(
            !page.contains(&copyright_id) && !page.contains("roll-note"),
            "{page}"
        );
    }

    // The certificate, for the buyer.
    let (status, _, certificate) = buyer
        .get(&server, &format!("/pieces/{piece}/certificate"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let certificate = String::from_utf8(certificate).unwrap();
    for fact in [
        copyright_id.as_str(),
        "Ana's Bakery",
        "Piano piece No.",
        "MT-EXCLUSIVE-1",
        "250.00 INR",
    ] {
        assert!(certificate.contains(fact), "{fact} in {certificate}");
    }

    // Anyone verifies the ID, typed in lower case too; nonsense is a clear 404.
    let (status, _, verified) = other
        .get(&server, &format!("/verify/{}", copyright_id.to_lowercase()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let verified = String::from_utf8(verified).unwrap();
    assert!(verified.contains("belong to Ana's Bakery"), "{verified}");
    // The certificate's facts, nothing that plays the piece or leads to it.
    for fact in ["Piano", "Date of sale", "Licensee", &copyright_id] {
        assert!(verified.contains(fact), "{fact} in {verified}");
    }
    for lead in [
        format!("/pieces/{piece}"),
        "<audio".into(),
        "preview".into(),
    ] {
        assert!(!verified.contains(&lead), "{lead} in {verified}");
    }
    let (status, _, page) = other.get(&server, "/verify/MT-2026-NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        String::from_utf8(page)
            .unwrap()
            .contains("This is not a MixTape copyright ID")
    );
    let unknown = domain::copyright_id::CopyrightId::new(2026, [1, 2, 3, 4, 5, 6, 7]);
    let (status, _, page) = other.get(&server, &format!("/verify/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        String::from_utf8(page)
            .unwrap()
            .contains("No piece has the copyright ID")
    );

    // The buyer's library lists the purchase; the sold piece cannot be deleted.
    let (_, body) = buyer.post(&server, "my_pieces", &[("page", "1")]).await;
    let library: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        library["purchases"][0]["copyright_id"],
        copyright_id.as_str()
    );
    assert_eq!(library["pieces"][0]["sold"], true);
    let (status, body) = buyer
        .post(&server, "delete_piece", &[("id", &piece.to_string())])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(count(&server, piece_table::Entity).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn declined_cards_create_no_rights_and_the_next_card_can_pay() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "6").await;
    for (card, said) in [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000 0000 0000 9995", "insufficient funds"),
        ("4000 0000 0000 0069", "has expired"),
        ("5105 1051 0510 5100", "Your card was declined."),
    ] {
        let (_, key) = checkout(&server, &mut buyer, piece).await;
        let (status, body) = buy(&server, &mut buyer, piece, &key, card).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{card}: {body}");
        assert!(message(&body).contains(said), "{card}: {body}");
        assert_eq!(count(&server, sale_table::Entity).await, 0, "{card}");
    }
    // A bad form is refused before any gateway is asked.
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, "4242 4242 4242 4241").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let err: domain::error::AppError = serde_json::from_str(&body).unwrap();
    assert!(err.field_message("number").is_some(), "{body}");
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 4);

    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(count(&server, sale_table::Entity).await, 1);

    // A visitor cannot buy at all.
    let mut visitor = Browser::default();
    let other = visitor.compose(&server, "8").await;
    let (status, body) = checkout(&server, &mut visitor, other).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = buy(&server, &mut visitor, other, "k", GOOD_CARD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_double_submit_with_one_key_charges_once() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "9").await;
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let cookie = buyer.cookie.clone();
    let attempts = (0..3).map(|_| {
        let mut browser = Browser {
            cookie: cookie.clone(),
        };
        let (server, key) = (&server, key.clone());
        async move { buy(server, &mut browser, piece, &key, GOOD_CARD).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let ids: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            serde_json::from_str(body).unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    // And again later, as a reload would.
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(
        (status, serde_json::from_str::<String>(&body).unwrap()),
        (StatusCode::OK, ids[0].clone())
    );
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 1);
    assert_eq!(count(&server, sale_table::Entity).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn fifty_checkouts_of_one_piece_race_and_exactly_one_pays() {
    // Fifty payments from one account: more than the default limit allows.
    let server = Running::start_with(Models::Shipped, |config| config.buy_limit = 100).await;
    fifty_checkouts_race(&[&server]).await;
    server.stop().await;
}

/// Fifty checkouts of one piece by its composer (fifty tabs), spread over
/// `servers` (instances of one site), pay at once: exactly one sale and one
/// charge, 49 told it is sold.
pub async fn fifty_checkouts_race(servers: &[&Running]) {
    let mut composer = Browser::default();
    composer
        .register(servers[0], "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = composer.compose(servers[0], "10").await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        let server = servers[i % servers.len()];
        let mut browser = Browser {
            cookie: composer.cookie.clone(),
        };
        let (status, key) = checkout(server, &mut browser, piece).await;
        assert_eq!(status, StatusCode::OK, "{key}");
        buyers.push((server, browser, key));
    }
    let attempts = buyers
        .into_iter()
        .map(|(server, mut browser, key)| async move {
            buy(server, &mut browser, piece, &key, GOOD_CARD).await
        });
    let answers = futures::future::join_all(attempts).await;
    let won = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(won, 1, "{answers:?}");
    for (status, body) in answers
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK)
    {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(message(body), "This piece has already been sold.");
    }
    assert_eq!(count(servers[0], sale_table::Entity).await, 1);
    assert_eq!(
        count(servers[0], sandbox_charge_table::Entity).await,
        1,
        "the 49 were never charged"
    );
}

#[tokio::test]
async fn the_same_music_in_another_piece_cannot_be_sold_again() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    // The same seed and settings compose the same music: the same fingerprint.
    let (first, twin) = (
        buyer.compose(&server, "12").await,
        buyer.compose(&server, "12").await,
    );
    let (_, key) = checkout(&server, &mut buyer, first).await;
    assert_eq!(
        buy(&server, &mut buyer, first, &key, GOOD_CARD).await.0,
        StatusCode::OK
    );
    let (status, body) = checkout(&server, &mut buyer, twin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(message(&body), TOO_CLOSE);
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn no_table_keeps_the_card_number_or_the_cvv() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "13").await;
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    assert_eq!(
        buy(&server, &mut buyer, piece, &key, GOOD_CARD).await.0,
        StatusCode::OK
    );
    let declined = buyer.compose(&server, "14").await;
    let (_, key) = checkout(&server, &mut buyer, declined).await;
    buy(&server, &mut buyer, declined, &key, "4000 0000 0000 0002").await;

    let db = &server.db;
    let backend = db.get_database_backend();
    let tables = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
                }
                _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
            },
        ))
        .await
        .unwrap();
    let mut searched = 0;
    for table in tables {
        let table: String = table.try_get("", "name").unwrap();
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT * FROM \"{table}\""),
            ))
            .await
            .unwrap();
        for row in rows {
            for column in row.column_names() {
                let text = row
                    .try_get::<Option<String>>("", &column)
                    .ok()
                    .flatten()
                    .or_else(|| {
                        row.try_get::<Option<Vec<u8>>>("", &column)
                            .ok()
                            .flatten()
                            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    });
                let Some(text) = text else { continue };
                searched += 1;
                for number in ["4242424242424242", GOOD_CARD, "4000000000000002"] {
                    assert!(
                        !text.contains(number),
                        "{table}.{column} holds the card number"
                    );
                }
                assert_ne!(text, CVV, "{table}.{column} holds the CVV");
                assert!(
                    !text.contains(&format!("\"{CVV}\"")),
                    "{table}.{column} holds the CVV"
                );
            }
        }
    }
    assert!(searched > 20, "only {searched} values searched");
    server.stop().await;
}

#[tokio::test]
async fn a_crash_mid_purchase_is_settled_no_charge_without_rights_or_rights_without_a_charge() {
    use domain::card::{CardForm, YearMonth, check};
    use sea_orm::{ActiveModelTrait, Set};
    use services::payments::{Gateway, SandboxGateway};
    use services::settlement::{Reconciled, reconcile};

    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let pieces = [
        buyer.compose(&server, "20").await,
        buyer.compose(&server, "21").await,
    ];
    let buyer_id = services::storage::user::Entity::find()
        .one(&server.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let gateway = SandboxGateway::new(server.db.clone());
    let card = check(
        &CardForm {
            name: "Ana".into(),
            number: GOOD_CARD.into(),
            expiry: "12/30".into(),
            cvv: CVV.into(),
        },
        YearMonth {
            year: 2026,
            month: 1,
        },
    )
    .unwrap();
    // Died after charging, before recording the sale: piece 0 reserved and charged.
    // Died before charging: piece 1 reserved only. And a charge whose sale is gone.
    for (n, (piece, key)) in [(pieces[0], "charged"), (pieces[1], "never-charged")]
        .into_iter()
        .enumerate()
    {
        let row = piece_table::Entity::find_by_id(piece)
            .one(&server.db)
            .await
            .unwrap()
            .unwrap();
        sale_table::ActiveModel {
            piece_id: Set(piece),
            fingerprint: Set(row.fingerprint),
            buyer_id: Set(buyer_id),
            copyright_id: Set(domain::copyright_id::CopyrightId::new(
                2026,
                [n as u8, 1, 2, 3, 4, 5, 6],
            )
            .to_string()),
            status: Set(sale_table::Status::Reserved),
            price_minor: Set(25_000),
            currency: Set("INR".into()),
            licence_version: Set("MT-EXCLUSIVE-1".into()),
            idempotency_key: Set(key.into()),
            reserved_at: Set(0),
            ..Default::default()
        }
        .insert(&server.db)
        .await
        .unwrap();
    }
    gateway
        .charge(25_000, "INR", &card, "charged")
        .await
        .unwrap()
        .unwrap();
    let orphan = gateway
        .charge(25_000, "INR", &card, "orphan")
        .await
        .unwrap()
        .unwrap();

    let settled = reconcile(&server.db, &gateway, 0).await.unwrap();
    assert_eq!(
        settled,
        Reconciled {
            completed: 1,
            released: 1,
            refunded: 1,
            unsettled: 0
        }
    );
    let sales = sale_table::Entity::find().all(&server.db).await.unwrap();
    assert_eq!(sales.len(), 1);
    assert_eq!(
        (sales[0].piece_id, sales[0].status.to_value().as_str()),
        (pieces[0], "paid")
    );
    let orphan = sandbox_charge_table::Entity::find_by_id(orphan.id)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    assert!(orphan.refunded);
    // Settled is settled: a second pass finds nothing to do.
    assert_eq!(
        reconcile(&server.db, &gateway, 0).await.unwrap(),
        Reconciled::default()
    );
    // Piece 1 is for sale again.
    let (status, _) = checkout(&server, &mut buyer, pieces[1]).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn only_the_composer_may_see_or_buy_a_piece() {
    let server = Running::start(Models::Shipped).await;
    let mut composer = Browser::default();
    composer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = composer.compose(&server, "5").await;
    let mut other = Browser::default();
    other
        .register(&server, "bo@florist.example", "Bo's Flowers")
        .await;

    // Another account who has the link may neither see nor buy it.
    let (status, body) = checkout(&server, &mut other, piece).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(message(&body), "There is no piece at this address.");
    // Nor pay with a key of its own making.
    let (status, body) = buy(&server, &mut other, piece, &"k".repeat(32), GOOD_CARD).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(count(&server, sale_table::Entity).await, 0);
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 0);

    let view = |body: String| serde_json::from_str::<serde_json::Value>(&body).unwrap();
    let id = piece.to_string();
    let (status, body) = other.post(&server, "piece", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, page) = other.get(&server, &format!("/pieces/{piece}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = String::from_utf8(page).unwrap();
    assert!(!page.contains("Buy exclusive rights"), "{page}");
    assert!(!page.contains("seed=5"), "{page}");

    // The composer sees the price and the seed, and buys.
    let (_, body) = composer.post(&server, "piece", &[("id", &id)]).await;
    let own = view(body);
    assert!(own["sale"]["ForSale"].is_string(), "{own}");
    assert_eq!(own["settings"]["seed"], 5);
    let (_, key) = checkout(&server, &mut composer, piece).await;
    let (status, body) = buy(&server, &mut composer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

/// A card that pays, checked as the payment page checks it.
fn good_card() -> domain::card::Card {
    use domain::card::{CardForm, YearMonth, check};
    check(
        &CardForm {
            name: "Ana".into(),
            number: GOOD_CARD.into(),
            expiry: "12/30".into(),
            cvv: CVV.into(),
        },
        YearMonth {
            year: 2026,
            month: 1,
        },
    )
    .unwrap()
}

/// Reserves `piece` for `buyer` under checkout `key`, as a purchase cut off
/// after its reservation does, long ago.
async fn stale_reservation(server: &Running, piece: i64, buyer: i64, key: &str) {
    use sea_orm::{ActiveModelTrait, Set};
    let row = piece_table::Entity::find_by_id(piece)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    sale_table::ActiveModel {
        piece_id: Set(piece),
        fingerprint: Set(row.fingerprint),
        buyer_id: Set(buyer),
        copyright_id: Set(domain::copyright_id::CopyrightId::new(
            2026,
            [piece as u8, 9, 8, 7, 6, 5, 4],
        )
        .to_string()),
        status: Set(sale_table::Status::Reserved),
        price_minor: Set(25_000),
        currency: Set("INR".into()),
        licence_version: Set("MT-EXCLUSIVE-1".into()),
        idempotency_key: Set(key.into()),
        reserved_at: Set(0),
        ..Default::default()
    }
    .insert(&server.db)
    .await
    .unwrap();
}

async fn only_user(server: &Running) -> i64 {
    services::storage::user::Entity::find()
        .one(&server.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn two_instances_settling_one_stale_reservation_leave_one_paid_sale_and_no_refund() {
    use services::payments::{Gateway, SandboxGateway};
    use services::settlement::reconcile;

    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "30").await;
    let buyer_id = only_user(&server).await;
    stale_reservation(&server, piece, buyer_id, &"c".repeat(32)).await;
    let gateway = SandboxGateway::new(server.db.clone());
    gateway
        .charge(25_000, "INR", &good_card(), &"c".repeat(32))
        .await
        .unwrap()
        .unwrap();

    // Two instances' passes at the same moment.
    let (first, second) = tokio::join!(
        reconcile(&server.db, &gateway, 0),
        reconcile(&server.db, &gateway, 0)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(
        first.completed + second.completed,
        1,
        "{first:?} {second:?}"
    );
    assert_eq!(first.refunded + second.refunded, 0, "{first:?} {second:?}");
    let sales = sale_table::Entity::find().all(&server.db).await.unwrap();
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].status, sale_table::Status::Paid);
    let charges = sandbox_charge_table::Entity::find()
        .all(&server.db)
        .await
        .unwrap();
    assert!(charges.iter().all(|charge| !charge.refunded), "{charges:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_refunded_charge_never_counts_as_paid_also_on_a_replay() {
    use services::payments::{Gateway, SandboxGateway};

    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "31").await;
    let (status, key) = checkout(&server, &mut buyer, piece).await;
    assert_eq!(status, StatusCode::OK, "{key}");
    // The first attempt's charge went through after its reservation was
    // released, and a settling pass refunded it as a charge without a sale.
    let gateway = SandboxGateway::new(server.db.clone());
    let charge = gateway
        .charge(25_000, "INR", &good_card(), &key)
        .await
        .unwrap()
        .unwrap();
    gateway.refund(&charge.id).await.unwrap();

    // The same checkout again gets the refunded charge back from the gateway.
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_ne!(status, StatusCode::OK, "{body}");
    assert_eq!(count(&server, sale_table::Entity).await, 0, "{body}");
    // A new checkout pays.
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn only_checkout_keys_the_server_issued_are_accepted() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "32").await;
    let (status, body) = buy(&server, &mut buyer, piece, "made-up-key", GOOD_CARD).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        message(&body),
        "This checkout has expired. Please reload the page."
    );
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 0);
    // A key issued for another piece is not this piece's.
    let other = buyer.compose(&server, "33").await;
    let (_, other_key) = checkout(&server, &mut buyer, other).await;
    let (status, _) = buy(&server, &mut buyer, piece, &other_key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn payments_are_limited_per_account() {
    let server = Running::start_with(Models::Shipped, |config| config.buy_limit = 2).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "34").await;
    for _ in 0..2 {
        let (_, key) = checkout(&server, &mut buyer, piece).await;
        let (status, _) = buy(&server, &mut buyer, piece, &key, "4000 0000 0000 0002").await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    }
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 2);
    server.stop().await;
}

#[tokio::test]
async fn the_verify_page_shows_the_licensee_named_at_checkout_and_nothing_more() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana.pereira@bakery.example", "Ana Pereira")
        .await;
    let piece = buyer.compose(&server, "35").await;
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buyer
        .post(
            &server,
            "buy",
            &[
                ("piece_id", &piece.to_string()),
                ("key", &key),
                ("name", "Ana Pereira"),
                ("number", GOOD_CARD),
                ("expiry", "12/30"),
                ("cvv", CVV),
                ("licensee", "  Sunrise Bakery Ltd "),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let copyright_id: String = serde_json::from_str(&body).unwrap();
    let (status, page) = server.get(&format!("/verify/{copyright_id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("belong to Sunrise Bakery Ltd"), "{page}");
    assert!(!page.contains("Ana Pereira"), "{page}");
    let (_, _, certificate) = buyer
        .get(&server, &format!("/pieces/{piece}/certificate"))
        .await;
    let certificate = String::from_utf8(certificate).unwrap();
    assert!(certificate.contains("Sunrise Bakery Ltd"), "{certificate}");
    server.stop().await;
}

#[tokio::test]
async fn a_seed_and_settings_that_compose_a_sold_piece_again_are_refused() {
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "5").await;
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Longer (its first ten seconds note for note), shorter, faster: refused.
    for (seconds, tempo) in [("31", "100"), ("12", "100"), ("10", "140")] {
        let mut form = piano_form(seconds, "5");
        form[2].1 = tempo;
        let (status, body) = buyer.post(&server, "compose", &form).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "{seconds} s at {tempo}: {body}"
        );
        assert_eq!(
            message(&body),
            "This seed and these settings compose a piece that has been sold. Leave the seed empty for a new piece."
        );
    }
    // Another seed, or another creativity, composes.
    buyer.compose(&server, "6").await;
    let mut form = piano_form("10", "5");
    form[5].1 = "0.9";
    let (status, body) = buyer.post(&server, "compose", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    piece_of(&server, &buyer, body.parse().unwrap()).await;

    // A change that changes no note (a creativity one ulp away, naming the
    // key the seed drew) composes the sold music: it is not kept.
    let sold = piece_table::Entity::find_by_id(piece)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    let key_name = sold.key_name.unwrap();
    let (tonic, mode) = key_name.split_once(' ').unwrap();
    let pieces_before = count(&server, piece_table::Entity).await;
    for (field, value) in [(5, "1.0000000000000002"), (3, tonic)] {
        let mut form = piano_form("10", "5");
        form[field].1 = value;
        if field == 3 {
            form[4].1 = mode;
        }
        let (status, body) = buyer.post(&server, "compose", &form).await;
        assert_eq!(status, StatusCode::OK, "{value}: {body}");
        let generation: i64 = body.parse().unwrap();
        let outcome = loop {
            let status = generation_status(&server, &buyer, generation).await;
            if status.get("Queued").is_none() && status != "Composing" {
                break status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(
            outcome["Failed"]["message"],
            "These settings composed the music of a piece whose exclusive rights are sold, so it was not kept. Leave the seed empty for a new piece.",
            "{value}: {outcome}"
        );
    }
    assert_eq!(count(&server, piece_table::Entity).await, pieces_before);
    server.stop().await;
}

/// Refused requests count toward the compose limit, so that a seed cannot be
/// tried against the sold pieces without end.
#[tokio::test]
async fn refused_compose_requests_count_toward_the_limit() {
    let server = Running::start_with(Models::Shipped, |config| config.compose_limit = 4).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "5").await;
    let (_, key) = checkout(&server, &mut buyer, piece).await;
    let (status, body) = buy(&server, &mut buyer, piece, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for expected in [
        StatusCode::CONFLICT,
        StatusCode::CONFLICT,
        StatusCode::CONFLICT,
    ] {
        let (status, body) = buyer.post(&server, "compose", &piano_form("12", "5")).await;
        assert_eq!(status, expected, "{body}");
    }
    let (status, body) = buyer.post(&server, "compose", &piano_form("12", "")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    server.stop().await;
}

/// The notes of stored piece `piece`.
async fn notes_of(server: &Running, piece: i64) -> Vec<models::music::events::GridNote> {
    let row = piece_table::Entity::find_by_id(piece)
        .one(&server.db)
        .await
        .unwrap()
        .unwrap();
    models::music::events::quantise(&models::music::midi::read(&row.midi).unwrap()).0
}

/// Stores `notes` at `bpm` as a piano piece of account `owner`, as if
/// another seed had composed them; its id.
async fn store_piece(
    server: &Running,
    owner: i64,
    notes: &[models::music::events::GridNote],
    bpm: f64,
) -> i64 {
    use models::music::piece::TimeSignature;
    use sea_orm::{ActiveModelTrait, Set};
    let program = models::Instrument::Piano.program();
    let written: Vec<_> = notes.iter().map(|n| n.to_note(program)).collect();
    let midi = models::music::midi::write(&written, program, bpm, TimeSignature::default());
    let end = notes
        .iter()
        .map(|n| n.onset + n.duration)
        .max()
        .unwrap_or(0);
    let seconds = f64::from(end) / 12.0 * 60.0 / bpm;
    piece_table::ActiveModel {
        instrument: Set("piano".into()),
        length_seconds: Set(seconds.round() as i32),
        tempo_bpm: Set(bpm as i32),
        creativity: Set(1.0),
        seed: Set(900 + notes.len() as i64),
        model_version: Set("piano-test".into()),
        seconds: Set(seconds),
        midi: Set(midi),
        fingerprint: Set(models::music::events::fingerprint(notes)),
        created_at: Set(0),
        owner_id: Set(Some(owner)),
        ..Default::default()
    }
    .insert(&server.db)
    .await
    .unwrap()
    .id
}

/// The sale state piece `piece`'s page shows `browser`.
async fn sale_state(server: &Running, browser: &mut Browser, piece: i64) -> serde_json::Value {
    let (status, body) = browser
        .post(server, "piece", &[("id", &piece.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["sale"].clone()
}

#[tokio::test]
async fn a_sold_pieces_music_longer_shorter_transposed_faster_or_touched_cannot_be_sold_again() {
    use models::music::events::GridNote;
    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let owner = only_user(&server).await;
    let (status, body) = buyer.post(&server, "compose", &piano_form("30", "5")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sold = piece_of(&server, &buyer, body.parse().unwrap()).await;
    let (status, body) = buyer.post(&server, "compose", &piano_form("15", "6")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let other = piece_of(&server, &buyer, body.parse().unwrap()).await;
    let notes = notes_of(&server, sold).await;
    let end = notes.iter().map(|n| n.onset + n.duration).max().unwrap();
    let shifted = |notes: &[GridNote], by: u32| -> Vec<GridNote> {
        notes
            .iter()
            .map(|n| GridNote {
                onset: n.onset + by,
                ..*n
            })
            .collect()
    };
    let mut longer = notes.clone();
    longer.extend(shifted(&notes_of(&server, other).await, end));
    let mut a_little_longer = notes.clone();
    a_little_longer.extend(shifted(&notes[..3], end));
    let transposed: Vec<GridNote> = notes
        .iter()
        .map(|n| GridNote {
            pitch: n.pitch + 2,
            ..*n
        })
        .collect();
    let mut touched = notes.clone();
    touched[10].pitch += 1;
    let opening = notes[..notes.len() * 2 / 5].to_vec();
    let variants = [
        ("45 s: the piece, then another", longer, 100.0),
        ("31 s", a_little_longer, 100.0),
        ("its first 12 s", opening, 100.0),
        ("transposed", transposed, 100.0),
        ("at 140 BPM", notes.clone(), 140.0),
        ("one note changed", touched, 100.0),
    ];
    let mut stored = Vec::new();
    for (name, variant, bpm) in &variants {
        stored.push((*name, store_piece(&server, owner, variant, *bpm).await));
    }
    // A checkout begun before the piece sold meets the check in the sale itself.
    let (_, early_key) = checkout(&server, &mut buyer, stored[0].1).await;
    let (_, key) = checkout(&server, &mut buyer, sold).await;
    let (status, body) = buy(&server, &mut buyer, sold, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = buy(&server, &mut buyer, stored[0].1, &early_key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(message(&body), TOO_CLOSE);
    for (name, piece) in &stored {
        let (status, body) = checkout(&server, &mut buyer, *piece).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}: {body}");
        assert_eq!(message(&body), TOO_CLOSE, "{name}");
        assert_eq!(
            sale_state(&server, &mut buyer, *piece).await,
            "TooClose",
            "{name}"
        );
    }
    let (_, _, page) = buyer
        .get(&server, &format!("/pieces/{}", stored[3].1))
        .await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("too close to a piece whose exclusive rights are already sold"));
    assert!(!page.contains("Buy exclusive rights"), "{page}");
    assert_eq!(count(&server, sale_table::Entity).await, 1);
    assert_eq!(count(&server, sandbox_charge_table::Entity).await, 1);

    // Other music still sells.
    assert!(sale_state(&server, &mut buyer, other).await["ForSale"].is_string());
    let (_, key) = checkout(&server, &mut buyer, other).await;
    let (status, body) = buy(&server, &mut buyer, other, &key, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn two_instances_selling_one_music_in_two_pieces_at_once_sell_it_once() {
    let server = Running::start(Models::Shipped).await;
    let beside = server.beside(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let owner = only_user(&server).await;
    for (round, seed) in ["21", "22", "23", "24", "25"].into_iter().enumerate() {
        let piece = buyer.compose(&server, seed).await;
        let notes = notes_of(&server, piece).await;
        // One note changed: another fingerprint, so only the music's
        // similarity can keep the two from both selling.
        let mut touched = notes.clone();
        touched[4].pitch -= 1;
        let copy = store_piece(&server, owner, &touched, 100.0).await;
        let (_, first_key) = checkout(&server, &mut buyer, piece).await;
        let (_, second_key) = checkout(&beside, &mut buyer, copy).await;
        let (mut first, mut second) = (
            Browser {
                cookie: buyer.cookie.clone(),
            },
            Browser {
                cookie: buyer.cookie.clone(),
            },
        );
        let (a, b) = tokio::join!(
            buy(&server, &mut first, piece, &first_key, GOOD_CARD),
            buy(&beside, &mut second, copy, &second_key, GOOD_CARD),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}: {a:?} {b:?}"
        );
        assert_eq!(count(&server, sale_table::Entity).await, round as u64 + 1);
        assert_eq!(
            count(&server, sandbox_charge_table::Entity).await,
            round as u64 + 1
        );
    }
    beside.stop().await;
    server.stop().await;
}

/// A settling pass holds its lock without holding a second connection, so a
/// pool of one connection settles instead of waiting on itself.
#[tokio::test]
async fn settling_on_a_pool_of_one_connection_does_not_deadlock() {
    use services::payments::{Gateway, SandboxGateway};
    use services::settlement::reconcile;

    let server = Running::start(Models::Shipped).await;
    let mut buyer = Browser::default();
    buyer
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;
    let piece = buyer.compose(&server, "30").await;
    let buyer_id = only_user(&server).await;
    stale_reservation(&server, piece, buyer_id, &"d".repeat(32)).await;
    let mut options = sea_orm::ConnectOptions::new(server.database_url.clone());
    options.max_connections(1).min_connections(1);
    options.acquire_timeout(std::time::Duration::from_secs(60));
    let one = sea_orm::Database::connect(options).await.unwrap();
    let gateway = SandboxGateway::new(one.clone());
    gateway
        .charge(25_000, "INR", &good_card(), &"d".repeat(32))
        .await
        .unwrap()
        .unwrap();
    let settled = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        reconcile(&one, &gateway, 0),
    )
    .await
    .expect("the pass waited on its own connection");
    assert_eq!(settled.unwrap().completed, 1);
    server.stop().await;
}
