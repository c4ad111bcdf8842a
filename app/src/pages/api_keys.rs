//! The account page: the signed-in account's API keys, made, listed and revoked.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::alerts::{ErrorAlert, FieldMessage};
use crate::components::meta::PageMeta;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::api_key::{ApiKeyView, MAX_KEY_NAME, NewApiKey};
use domain::error::AppError;
#[cfg(feature = "ssr")]
use services::{api_keys, sessions};

/// The signed-in account's id, or the answer that one is needed.
#[cfg(feature = "ssr")]
async fn account() -> Result<i64, AppError> {
    sessions::require_user(&request::session().await?, "manage API keys").await
}

/// Makes an API key named `name` for the signed-in account; its secret is
/// in this answer only.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<NewApiKey, AppError> {
    let user = account().await?;
    api_keys::create(&request::context().db, user, &name).await
}

/// The signed-in account's API keys, newest first.
#[server(endpoint = "api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    let user = account().await?;
    api_keys::list(&request::context().db, user).await
}

/// Revokes the signed-in account's API key `id`.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let user = account().await?;
    api_keys::revoke(&request::context().db, user, id).await
}

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let made = move || create.value().get().and_then(|r| r.ok());
    let revoke_error = move || revoke.value().get().and_then(|r| r.err());

    view! {
        <PageMeta title="Your account" description="Make and revoke the keys your software uses with the MixTape API." />
        <section class="narrow">
            <h1>"Your account"</h1>
            <h2 id="api-keys">"API keys"</h2>
            <p>
                "A key lets your own software (a video tool, an agency's workflow) compose, buy and download pieces for this account through the MixTape API. "
                <A href="/docs/api">"How the API works"</A>
            </p>
            <Transition fallback=|| view! { <p role="status">"Loading your keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) => view! {
                            <ActionForm action=create attr:class="settings-form key-form">
                                <div class="field">
                                    <label for="key-name">"Name of a new key"</label>
                                    <input id="key-name" name="name" type="text" maxlength=MAX_KEY_NAME placeholder="Video tool" required />
                                    <FieldMessage field="name" error />
                                </div>
                                <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Create key"</button>
                                <Show when=move || matches!(error.get(), Some(ref e) if e.field_message("name").is_none())>
                                    <p class="error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
                                </Show>
                            </ActionForm>
                            {move || made().map(|made| view! { <NewKey made /> })}
                            {move || revoke_error().map(|err| view! { <ErrorAlert err class="error" /> })}
                            <KeyList keys=list revoke />
                        }.into_any(),
                        Err(AppError::Unauthorized(_)) => view! {
                            <p class="notice">"Log in to make and revoke API keys."</p>
                            <p><A href="/login" attr:class="button button-primary">"Log in"</A></p>
                        }.into_any(),
                        Err(err) => view! { <ErrorAlert err class="error" /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The secret of a key just made, shown once.
#[component]
fn NewKey(made: NewApiKey) -> impl IntoView {
    view! {
        <div class="notice new-key" role="status">
            <p>
                <strong>{format!("Your key \u{201c}{}\u{201d}", made.key.name)}</strong>
                ": copy it now, it is shown only this once. Send it as "
                <code>"Authorization: Bearer …"</code>
                "."
            </p>
            <p><code class="secret" data-testid="new-key-secret">{made.secret}</code></p>
        </div>
    }
}

/// The account's keys, each with its revoke button.
#[component]
fn KeyList(keys: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="hint">"No keys yet."</p> }.into_any();
    }
    view! {
        <table class="key-list">
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Status"</span></th></tr>
            </thead>
            <tbody>
                {keys
                    .into_iter()
                    .map(|key| {
                        let id = key.id;
                        let label = format!("Revoke {}", key.name);
                        view! {
                            <tr>
                                <td>{key.name}</td>
                                <td><code>{format!("{}…", key.prefix)}</code></td>
                                <td>{key.created_on}</td>
                                <td>{key.last_used_on.unwrap_or_else(|| "never".into())}</td>
                                <td>
                                    {if key.revoked {
                                        view! { <span class="badge">"Revoked"</span> }.into_any()
                                    } else {
                                        view! {
                                            <button type="button" class="link-button delete-button" aria-label=label on:click=move |_| {
                                                revoke.dispatch(RevokeApiKey { id });
                                            }>"Revoke"</button>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
