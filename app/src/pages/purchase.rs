//! Buying a piece's exclusive rights: the price, the payment page with its
//! card form, and the server functions behind them.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::alerts::{self, ErrorAlert, FieldMessage};
use crate::components::meta::PageMeta;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::card::{self, CardForm, YearMonth};
use domain::error::AppError;
use domain::rights::{Checkout, MAX_LICENSEE};
#[cfg(feature = "ssr")]
use services::{sales, sessions};

/// Starts buying piece `piece_id`: its price and a new checkout key.
#[server(endpoint = "checkout")]
pub async fn start_checkout(piece_id: i64) -> Result<Checkout, AppError> {
    let session = request::session().await?;
    let buyer = sessions::require_user(&session, "buy a piece").await?;
    let checkout = sales::checkout(&request::context(), buyer, piece_id).await?;
    sessions::issue_checkout(&session, piece_id, &checkout.key).await?;
    Ok(checkout)
}

/// Pays for piece `piece_id` under checkout `key`; on success goes to the
/// piece's page and returns the copyright ID.
#[server(endpoint = "buy")]
pub async fn buy(
    piece_id: i64,
    key: String,
    name: String,
    number: String,
    expiry: String,
    cvv: String,
    /// Whom the certificate names; empty for the account's name.
    #[server(default)]
    licensee: String,
) -> Result<String, AppError> {
    let form = CardForm {
        name,
        number,
        expiry,
        cvv,
    };
    let session = request::session().await?;
    let buyer = sessions::require_user(&session, "buy a piece").await?;
    if !sessions::issued_checkout(&session, piece_id, &key).await? {
        return Err(sales::expired_checkout());
    }
    let copyright_id = sales::pay(
        &request::context(),
        (buyer, piece_id, &key),
        &form,
        &licensee,
        this_month(),
    )
    .await?;
    leptos_axum::redirect(&format!("/pieces/{piece_id}"));
    Ok(copyright_id)
}

/// This month, to check card expiry dates: the server's clock on the server,
/// the browser's in the browser.
fn this_month() -> YearMonth {
    #[cfg(feature = "ssr")]
    {
        sales::this_month()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let today = js_sys::Date::new_0();
        YearMonth {
            year: today.get_full_year() as i32,
            month: today.get_month() + 1,
        }
    }
}

/// The payment page of one piece.
#[component]
pub fn PaymentPage() -> impl IntoView {
    let params = use_params_map();
    let piece_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .filter(|id| *id > 0)
    };
    let pay = ServerAction::<Buy>::new();
    // A failed attempt used its key up: the next one gets a new checkout.
    let failures = Memo::new(move |previous: Option<&usize>| {
        if pay.value().with(|v| matches!(v, Some(Err(_)))) {
            pay.version().get()
        } else {
            previous.copied().unwrap_or(0)
        }
    });
    let checkout_now = Resource::new(
        move || (piece_id(), failures.get()),
        |(id, _)| async move {
            match id {
                Some(id) => start_checkout(id).await,
                None => Err(AppError::no_piece()),
            }
        },
    );

    view! {
        <PageMeta title="Buy exclusive rights" description="Pay for a piece's exclusive rights: it is sold once, to you." />
        <section class="narrow">
            <h1>"Buy exclusive rights"</h1>
            <Transition fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match checkout_now.await {
                        Ok(checkout) => view! { <PaymentForm checkout pay /> }.into_any(),
                        Err(AppError::Unauthorized(_)) => view! { <SignInToBuy /> }.into_any(),
                        Err(err) => view! { <ErrorAlert err class="error" /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What a visitor sees instead of the card form.
#[component]
fn SignInToBuy() -> impl IntoView {
    view! {
        <p class="notice">"Only a signed-in customer can buy: the rights are registered in your name."</p>
        <p>
            <A href="/login" attr:class="button button-primary">"Log in"</A>
            " "
            <A href="/register" attr:class="button">"Create an account"</A>
        </p>
    }
}

/// The card form, checked in the browser before it is sent.
#[component]
fn PaymentForm(checkout: Checkout, pay: ServerAction<Buy>) -> impl IntoView {
    let Checkout {
        piece_id,
        title,
        price,
        key,
        licensee,
    } = checkout;
    let refused_here = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        refused_here
            .get()
            .or_else(|| pay.value().get().and_then(|r| r.err()))
    });
    let invalid = move |field: &'static str| alerts::invalid(error, field);
    let form_error = move || {
        error
            .get()
            .filter(|err| !matches!(err, AppError::Invalid(_)))
            .map(|err| err.to_string())
    };
    let pending = pay.pending();
    let (name, number, expiry, cvv, licensee_input) = (
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
    );
    let submit_key = key.clone();
    // Without the script, the form posts straight to the server function.
    let buy_url = <Buy as leptos::server_fn::ServerFn>::url();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |input: NodeRef<leptos::html::Input>| {
            input
                .get()
                .map(|element| element.value())
                .unwrap_or_default()
        };
        let form = CardForm {
            name: value(name),
            number: value(number),
            expiry: value(expiry),
            cvv: value(cvv),
        };
        match card::check(&form, this_month()) {
            Err(fields) => refused_here.set(Some(AppError::Invalid(fields))),
            Ok(_) => {
                refused_here.set(None);
                pay.dispatch(Buy {
                    piece_id,
                    key: submit_key.clone(),
                    name: form.name,
                    number: form.number,
                    expiry: form.expiry,
                    cvv: form.cvv,
                    licensee: value(licensee_input),
                });
            }
        }
    };

    view! {
        <p class="lead">
            <A href=format!("/pieces/{piece_id}")>{title}</A>
            {format!(": {price}, once. Nobody else can ever buy it.")}
        </p>
        <form
            method="post"
            action=buy_url
            class="settings-form payment-form"
            novalidate
            on:submit=on_submit
            aria-labelledby="card-heading"
        >
            <h2 id="card-heading">"Card"</h2>
            <input type="hidden" name="piece_id" value=piece_id />
            <input type="hidden" name="key" value=key />
            <div class="field">
                <label for="licensee">"Name on the certificate"</label>
                <input id="licensee" name="licensee" node_ref=licensee_input value=licensee maxlength=MAX_LICENSEE autocomplete="organization" aria-describedby="licensee-hint" aria-invalid=invalid("licensee") />
                <p class="hint" id="licensee-hint">"The owner the licence certificate and the public verification page name; nothing else about you is shown."</p>
                <FieldMessage field="licensee" error />
            </div>
            <div class="field">
                <label for="card-name">"Name on card"</label>
                <input id="card-name" name="name" node_ref=name autocomplete="cc-name" required aria-invalid=invalid("name") />
                <FieldMessage field="name" error />
            </div>
            <div class="field">
                <label for="card-number">"Card number"</label>
                <input id="card-number" name="number" node_ref=number inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required aria-invalid=invalid("number") />
                <FieldMessage field="number" error />
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="card-expiry">"Expiry (MM/YY)"</label>
                    <input id="card-expiry" name="expiry" node_ref=expiry autocomplete="cc-exp" placeholder="MM/YY" required aria-invalid=invalid("expiry") />
                    <FieldMessage field="expiry" error />
                </div>
                <div class="field">
                    <label for="card-cvv">"CVV"</label>
                    <input id="card-cvv" name="cvv" node_ref=cvv inputmode="numeric" autocomplete="cc-csc" maxlength="4" required aria-invalid=invalid("cvv") />
                    <FieldMessage field="cvv" error />
                </div>
            </div>
            <button type="submit" class="button button-primary" disabled=move || pending.get()>
                {move || if pending.get() { "Paying…".to_owned() } else { format!("Pay {price}") }}
            </button>
            <p class="hint">"Your card number and CVV go to the payment gateway only; MixTape keeps the brand and last four digits."</p>
            <Show when=move || form_error().is_some()>
                <p class="error" role="alert">{form_error}</p>
            </Show>
        </form>
    }
}
