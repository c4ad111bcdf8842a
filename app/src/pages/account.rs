//! Accounts: register, log in, log out, and who is signed in.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::components::alerts::FieldMessage;
use crate::components::meta::PageMeta;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::account::{MIN_PASSWORD, SignedInUser};
use domain::error::AppError;
#[cfg(feature = "ssr")]
use services::{accounts, sessions};

/// Who is signed in on this browser, if anyone.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    match request::signed_in().await? {
        Some(id) => accounts::find(&request::context().db, id).await,
        None => Ok(None),
    }
}

/// Creates an account, signs it in and goes to the instruments page.
#[server(endpoint = "register")]
pub async fn register(
    email: String,
    password: String,
    display_name: String,
) -> Result<(), AppError> {
    let context = request::context();
    let client = request::client(&context).await;
    let user = accounts::register(&context, &client, &email, password, &display_name).await?;
    sessions::sign_in(&context.db, &request::session().await?, user).await?;
    leptos_axum::redirect("/instruments");
    Ok(())
}

/// Signs in with email and password and goes to the instruments page.
#[server(endpoint = "log_in")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    let context = request::context();
    let client = request::client(&context).await;
    let user = accounts::log_in(&context, &client, &email, password).await?;
    sessions::sign_in(&context.db, &request::session().await?, user).await?;
    leptos_axum::redirect("/instruments");
    Ok(())
}

/// Signs out and goes to the home page.
#[server(endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    sessions::sign_out(&request::session().await?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The error of an account form that belongs to no single field.
fn form_message(error: Signal<Option<AppError>>) -> Signal<Option<String>> {
    Signal::derive(move || error.get().map(|err| err.to_string()))
}

/// The registration page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let pending = action.pending();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let message = form_message(error);
    view! {
        <PageMeta title="Create an account" description="Create a MixTape account to keep your pieces and buy exclusive rights to them." />
        <section class="narrow">
            <h1>"Create an account"</h1>
            <ActionForm action attr:class="settings-form account-form">
                <div class="field">
                    <label for="display_name">"Your name or company"</label>
                    <input id="display_name" name="display_name" type="text" autocomplete="organization" maxlength="80" required />
                    <FieldMessage field="display_name" error />
                </div>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required />
                    <FieldMessage field="email" error />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" minlength=MIN_PASSWORD required />
                    <p class="hint">{format!("At least {MIN_PASSWORD} characters; a few unrelated words work well.")}</p>
                    <FieldMessage field="password" error />
                </div>
                <button type="submit" class="button button-primary" disabled=move || pending.get()>"Create account"</button>
                <Show when=move || message.get().is_some()>
                    <p class="error" role="alert">{message}</p>
                </Show>
                <p class="hint">"Already have an account? " <A href="/login">"Log in"</A></p>
            </ActionForm>
        </section>
    }
}

/// The log-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let pending = action.pending();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let message = form_message(error);
    view! {
        <PageMeta title="Log in" description="Log in to MixTape to find your pieces and purchases." />
        <section class="narrow">
            <h1>"Log in"</h1>
            <ActionForm action attr:class="settings-form account-form">
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                </div>
                <button type="submit" class="button button-primary" disabled=move || pending.get()>"Log in"</button>
                <Show when=move || message.get().is_some()>
                    <p class="error" role="alert">{message}</p>
                </Show>
                <p class="hint">"New to MixTape? " <A href="/register">"Create an account"</A></p>
            </ActionForm>
        </section>
    }
}
/// The header's account links: log in and register, or the name and log out.
#[component]
pub fn AccountNav() -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let location = use_location();
    // Asked again on every navigation (signing in or out ends in one) and after logging out.
    let user = Resource::new(
        move || (location.pathname.get(), log_out.version().get()),
        |_| current_user(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <A href="/account" attr:class="account-name">{user.display_name}</A>
                        <ActionForm action=log_out attr:class="inline-form">
                            <button type="submit" class="link-button">"Log out"</button>
                        </ActionForm>
                    }.into_any(),
                    _ => view! {
                        <A href="/login">"Log in"</A>
                        <A href="/register">"Register"</A>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
