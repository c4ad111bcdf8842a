//! What a server function reads from the request it answers and hands to the
//! services: their context, the browser's session and the client's address.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use tower_sessions::Session;

use domain::error::AppError;
use services::ServerContext;
use services::owner::Owner;
use services::sessions;

/// The services' context, which the server provides to every request.
///
/// Panics only if the server forgot to provide it, which every request path does.
pub fn context() -> ServerContext {
    leptos::prelude::expect_context::<ServerContext>()
}

/// The browser's session.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        AppError::internal(
            "Your session could not be read. Please reload the page.",
            &err,
        )
    })
}

/// The signed-in account, if any.
pub async fn signed_in() -> Result<Option<i64>, AppError> {
    sessions::signed_in(&session().await?).await
}

/// Who is asking, if anyone yet.
pub async fn owner() -> Result<Option<Owner>, AppError> {
    sessions::owner(&session().await?).await
}

/// The client's address as the rate limits count it.
pub async fn client(context: &ServerContext) -> String {
    let Ok(ConnectInfo(peer)) = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await else {
        return "unknown".into();
    };
    let headers = leptos_axum::extract::<http::HeaderMap>()
        .await
        .unwrap_or_default();
    context.limits.client(peer, &headers)
}
