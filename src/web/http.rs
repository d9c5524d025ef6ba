//! A small HTTP/1.1 client for signalling: WHIP and WHEP towards an SFU's
//! front end (HTTPS, its certificate pinned like every camview peer) and
//! Janus' HTTP API (plain HTTP on the SFU's own host). One request per
//! connection, a deadline on the whole exchange, and a bounded answer:
//! signalling is a handful of requests per session, so nothing is pooled.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::uri::{Authority, Scheme};
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri, header};
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The largest answer read: an SDP or a Janus event is a few KiB.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("`{0}` is not an http:// or https:// URL with a host")]
    Url(String),
    #[error("the server named another origin, `{0}`, for what follows; refused")]
    OtherOrigin(String),
    #[error("https://{0} needs TLS settings (a pinned fingerprint)")]
    NoTls(String),
    #[error("cannot reach {authority}: {error}")]
    Connect {
        authority: String,
        error: std::io::Error,
    },
    #[error("TLS with {authority} failed: {error}")]
    Tls {
        authority: String,
        error: std::io::Error,
    },
    #[error("{authority} did not answer within {} s", .timeout.as_secs())]
    Timeout {
        authority: String,
        timeout: Duration,
    },
    #[error(
        "{authority} refused this node's certificate ({alert}): it must trust this node (`camview id` here shows its fingerprint; `camview trust add NAME FINGERPRINT` there, or its --peer)"
    )]
    RefusedUs { authority: String, alert: String },
    #[error("HTTP with {authority} failed: {error}")]
    Http { authority: String, error: String },
}

/// An answer, its body read whole.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (at most [`MAX_RESPONSE_BYTES`]).
    pub body: Bytes,
}

impl Response {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, if present and readable.
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Where requests go: a base URL and, for `https`, the TLS settings.
#[derive(Clone)]
pub struct Client {
    base: Uri,
    tls: Option<Arc<ClientConfig>>,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `base` (`http://…` or `https://…`); `tls` is required
    /// for `https`.
    pub fn new(
        base: &str,
        tls: Option<Arc<ClientConfig>>,
        timeout: Duration,
    ) -> Result<Self, HttpError> {
        let uri: Uri = base.parse().map_err(|_| HttpError::Url(base.into()))?;
        let scheme_ok = uri.scheme() == Some(&Scheme::HTTP) || uri.scheme() == Some(&Scheme::HTTPS);
        if !scheme_ok || uri.authority().is_none() {
            return Err(HttpError::Url(base.into()));
        }
        if uri.scheme() == Some(&Scheme::HTTPS) && tls.is_none() {
            return Err(HttpError::NoTls(
                uri.authority().map(ToString::to_string).unwrap_or_default(),
            ));
        }
        Ok(Self {
            base: uri,
            tls,
            timeout,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &Uri {
        &self.base
    }

    /// `reference` (an absolute URL, an absolute path, or empty for the
    /// base itself) resolved against the base, as a `Location` header is.
    pub fn resolve(&self, reference: &str) -> Result<Uri, HttpError> {
        if reference.is_empty() {
            return Ok(self.base.clone());
        }
        let uri: Uri = reference
            .parse()
            .map_err(|_| HttpError::Url(reference.into()))?;
        if uri.scheme().is_some() {
            // Only on the same origin: a server must not send the next
            // request to another host, or to plain HTTP.
            let same_origin =
                uri.scheme() == self.base.scheme() && uri.authority() == self.base.authority();
            return if same_origin {
                Ok(uri)
            } else {
                Err(HttpError::OtherOrigin(reference.into()))
            };
        }
        let path = if reference.starts_with('/') {
            reference.to_owned()
        } else {
            // Relative to the base's directory.
            let base = self.base.path();
            let dir = base.rsplit_once('/').map_or("", |(dir, _)| dir);
            format!("{dir}/{reference}")
        };
        let mut parts = self.base.clone().into_parts();
        parts.path_and_query = Some(path.parse().map_err(|_| HttpError::Url(reference.into()))?);
        Uri::from_parts(parts).map_err(|_| HttpError::Url(reference.into()))
    }

    /// Sends one request to `uri` (which must be on the base's origin or
    /// carry its own) with an optional body of `content_type`.
    pub async fn send(
        &self,
        method: Method,
        uri: &Uri,
        body: Option<(&str, Bytes)>,
    ) -> Result<Response, HttpError> {
        let authority = uri
            .authority()
            .or(self.base.authority())
            .cloned()
            .ok_or_else(|| HttpError::Url(uri.to_string()))?;
        let https = uri.scheme().or(self.base.scheme()) == Some(&Scheme::HTTPS);
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, authority.as_str());
        let body = match body {
            Some((content_type, bytes)) => {
                request = request.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let request = request.body(body).map_err(|e| HttpError::Http {
            authority: authority.to_string(),
            error: e.to_string(),
        })?;
        let exchange = self.exchange(&authority, https, request);
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout {
                authority: authority.to_string(),
                timeout: self.timeout,
            })?
    }

    async fn exchange(
        &self,
        authority: &Authority,
        https: bool,
        request: Request<Body>,
    ) -> Result<Response, HttpError> {
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|error| HttpError::Connect {
                authority: authority.to_string(),
                error,
            })?;
        let _ = tcp.set_nodelay(true);
        if !https {
            return round_trip(tcp, authority, request).await;
        }
        let tls = self
            .tls
            .clone()
            .ok_or_else(|| HttpError::NoTls(authority.to_string()))?;
        // The name is not what is checked (the fingerprint is), but SNI
        // needs one.
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| HttpError::Url(authority.to_string()))?;
        let stream = TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|error| HttpError::Tls {
                authority: authority.to_string(),
                error,
            })?;
        round_trip(stream, authority, request).await
    }
}

/// One request and its answer over `stream`.
async fn round_trip<S>(
    stream: S,
    authority: &Authority,
    request: Request<Body>,
) -> Result<Response, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http = |error: &(dyn std::error::Error + 'static)| match alert_received(error) {
        Some(alert) => HttpError::RefusedUs {
            authority: authority.to_string(),
            alert,
        },
        None => HttpError::Http {
            authority: authority.to_string(),
            error: error.to_string(),
        },
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http(&e))?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| http(&e));
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            driver.abort();
            return Err(e);
        }
    };
    let (parts, incoming) = response.into_parts();
    let body = axum::body::to_bytes(Body::new(incoming), MAX_RESPONSE_BYTES)
        .await
        .map_err(|e| http(&e));
    driver.abort();
    Ok(Response {
        status: parts.status,
        headers: parts.headers,
        body: body?,
    })
}

/// The TLS alert the server sent, if that is what ended the exchange (a
/// client certificate refused shows only after the handshake, in TLS 1.3).
fn alert_received(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(rustls::Error::AlertReceived(alert)) = e.downcast_ref::<rustls::Error>() {
            return Some(format!("{alert:?}"));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(rustls::Error::AlertReceived(alert)) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(format!("{alert:?}"));
        }
        source = e.source();
    }
    None
}

/// `application/sdp`, the content type of WHIP and WHEP bodies.
pub const SDP: &str = "application/sdp";

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(base, None, Duration::from_secs(1)).unwrap()
    }

    #[test]
    fn locations_resolve_as_a_browser_would() {
        let c = client("http://10.0.0.1:8080/whip/cam");
        assert_eq!(
            c.resolve("/whip/cam/17").unwrap().to_string(),
            "http://10.0.0.1:8080/whip/cam/17"
        );
        assert_eq!(
            c.resolve("17").unwrap().to_string(),
            "http://10.0.0.1:8080/whip/17"
        );
        assert_eq!(
            c.resolve("http://10.0.0.1:8080/x").unwrap().to_string(),
            "http://10.0.0.1:8080/x"
        );
        // Another host, or another scheme, is not followed.
        assert!(matches!(
            c.resolve("https://other:1/x"),
            Err(HttpError::OtherOrigin(_))
        ));
        assert!(matches!(
            c.resolve("https://10.0.0.1:8080/x"),
            Err(HttpError::OtherOrigin(_))
        ));
        assert_eq!(c.resolve("").unwrap(), *c.base());
    }

    #[test]
    fn only_web_urls_with_a_host_and_tls_for_https() {
        assert!(matches!(
            Client::new("ftp://x/y", None, Duration::from_secs(1)),
            Err(HttpError::Url(_))
        ));
        assert!(matches!(
            Client::new("/relative", None, Duration::from_secs(1)),
            Err(HttpError::Url(_))
        ));
        assert!(matches!(
            Client::new("https://sfu:8443/whip/cam", None, Duration::from_secs(1)),
            Err(HttpError::NoTls(_))
        ));
    }

    #[tokio::test]
    async fn a_request_gets_its_answer_and_a_silent_server_a_timeout() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // First connection: answers. Second: never does.
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            assert!(head.starts_with("POST /whip/cam HTTP/1.1\r\n"), "{head}");
            assert!(head.contains("content-type: application/sdp"), "{head}");
            s.write_all(b"HTTP/1.1 201 Created\r\nLocation: /whip/cam/1\r\nContent-Length: 5\r\n\r\nv=0\r\n")
                .await
                .unwrap();
            let (_silent, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let c = Client::new(
            &format!("http://{addr}/whip/cam"),
            None,
            Duration::from_millis(500),
        )
        .unwrap();
        let r = c
            .send(
                Method::POST,
                c.base(),
                Some((SDP, Bytes::from_static(b"v=0\r\n"))),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.header(header::LOCATION), Some("/whip/cam/1"));
        assert_eq!(r.text(), "v=0\r\n");
        let e = c.send(Method::DELETE, c.base(), None).await.unwrap_err();
        assert!(matches!(e, HttpError::Timeout { .. }), "{e}");
    }
}
