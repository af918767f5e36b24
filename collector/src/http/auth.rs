//! Signing in and out, and the guard in front of the reports: a session cookie from
//! `POST /api/v1/session`, or `Authorization: Bearer <API token>` (`spur token create`).
//!
//! The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's
//! page sends it) and `Secure` when the request came over TLS (through a proxy trusted
//! with `--behind-proxy` that says `X-Forwarded-Proto: https`). Requests that change a
//! session must come from the collector's own origin: an `Origin` header naming another
//! host is refused, and they must be JSON, which a cross-site form cannot send.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, blocking};
use crate::auth::{self, SESSION_COOKIE, SESSION_DAYS};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Who is signed in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Account {
    pub email: String,
}

/// Signs in: sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "access",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = Account),
        (status = 400, description = "`invalid_request`: not a JSON object with `email` and `password`", body = super::error::Body),
        (status = 401, description = "`invalid_credentials`", body = super::error::Body),
        (status = 403, description = "`cross_site_request`: another origin asked", body = super::error::Body),
        (status = 415, description = "`unsupported_media_type`: send JSON", body = super::error::Body),
        (status = 429, description = "`rate_limited`: more than 10 attempts a minute from one address", body = super::error::Body),
    )
)]
pub async fn sign_in(
    State(app): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    json_body(&headers)?;
    let ip = super::events::client_ip(&app, peer, &headers);
    app.rate_limits
        .check_sign_in(ip)
        .map_err(ApiError::RateLimited)?;
    let credentials: Credentials = serde_json::from_slice(&body)
        .map_err(|_| ApiError::BadRequest("send {\"email\": …, \"password\": …}".into()))?;
    let store = app.store.clone();
    let email = auth::normal_email(&credentials.email);
    let token = blocking(move || {
        let user = auth::find_user(store.as_ref(), &credentials.email)?;
        // Verify against a decoy when there is no such account: the same time either way.
        let hash = user
            .as_ref()
            .map_or(auth::decoy_hash(), |(_, h)| h.as_str());
        let ok = auth::verify_password(&credentials.password, hash);
        let Some((id, _)) = user.filter(|_| ok) else {
            return Ok(None);
        };
        let token = auth::new_token();
        let expires = crate::event::now_ms() + SESSION_DAYS * 86_400_000;
        store.add_token(id, &auth::token_hash(&token), "session", Some(expires))?;
        Ok(Some((token, email)))
    })
    .await?;
    let Some((token, email)) = token else {
        return Err(ApiError::InvalidCredentials);
    };
    let cookie = session_cookie(&app, &headers, token, SESSION_DAYS * 86_400);
    Ok(([(header::SET_COOKIE, cookie)], Json(Account { email })).into_response())
}

/// Signs out: forgets the session and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "access",
    responses(
        (status = 204, description = "Signed out"),
        (status = 403, description = "`cross_site_request`: another origin asked", body = super::error::Body)
    )
)]
pub async fn sign_out(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    if let Some(token) = session_token(&headers) {
        let store = app.store.clone();
        blocking(move || store.delete_token(&auth::token_hash(&token))).await?;
    }
    let cookie = session_cookie(&app, &headers, String::new(), 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Who is signed in (401 `sign_in_required` if nobody).
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "access",
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 401, description = "`sign_in_required`", body = super::error::Body),
    )
)]
pub async fn current(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(Account {
        email: user(&app, &headers).await?,
    }))
}

/// In front of the reports: a signed-in session or an API token, else 401.
pub async fn require_user(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    user(&app, request.headers()).await?;
    Ok(next.run(request).await)
}

/// The token of an `Authorization: Bearer <token>` header (the scheme's name in any case,
/// as HTTP has it).
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn user(app: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let bearer = bearer(headers).map(str::to_owned);
    let Some(token) = bearer.or_else(|| session_token(headers)) else {
        return Err(ApiError::SignInRequired);
    };
    let store = app.store.clone();
    blocking(move || store.token_user(&auth::token_hash(&token), crate::event::now_ms()))
        .await?
        .ok_or(ApiError::SignInRequired)
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

fn session_cookie(app: &AppState, headers: &HeaderMap, value: String, max_age_secs: i64) -> String {
    let tls = app.behind_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(tls)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// Refuses a request whose `Origin` names another host than the one it was sent to.
pub(super) fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = url::Url::parse(origin).ok().and_then(|u| {
        let host = u.host_str()?.to_owned();
        Some(match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    if origin_host.is_some() && origin_host.as_deref() == host {
        Ok(())
    } else {
        Err(ApiError::CrossSite)
    }
}

pub(super) fn json_body(headers: &HeaderMap) -> Result<(), ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType("application/json"))
    }
}
