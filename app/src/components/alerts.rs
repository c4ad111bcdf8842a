//! How errors show on a page: an alert for the page, a message beside a field.

use leptos::prelude::*;

use domain::error::AppError;

/// An error shown on a page, as an alert; on the server, the page's response
/// takes the error's status.
#[component]
pub fn ErrorAlert(
    /// The error.
    err: AppError,
    /// The paragraph's class, if any.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    err.set_response_status();
    view! { <p class=(!class.is_empty()).then_some(class) role="alert">{err.to_string()}</p> }
}

/// The message beside a form field, shown when the server rejected that field.
#[component]
pub fn FieldMessage(
    /// The field's name, as the server function names it.
    field: &'static str,
    /// The form action's last error.
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|err| err.field_message(field));
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" id=format!("{field}-error")>{message}</p>
        </Show>
    }
}

/// Whether the form action's last `error` was about `field`, as an
/// `aria-invalid` value.
pub fn invalid(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || {
        error
            .get()
            .and_then(|err| err.field_message(field))
            .is_some()
            .to_string()
    }
}
