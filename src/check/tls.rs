//! The TLS side of SSL_GET: a rustls client (ring) that verifies the real
//! server's certificate against a CA file or the system's roots, or, when
//! verification is switched off explicitly, accepts any certificate while
//! still checking the handshake's signatures. The exchange runs on a
//! blocking thread with socket timeouts; SSL checks are few.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::http::MAX_BODY;
use super::net::{self, Endpoint};

/// Where the system keeps its trusted roots (Debian).
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// How an SSL_GET speaks TLS. The name sent as SNI and verified is the
/// url's or the checker's `virtualhost`, given per exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// Send SNI at all (keepalived `enable_sni`).
    pub sni: bool,
    /// Verify the certificate chain and name.
    pub verify: bool,
    /// Trusted roots (PEM); the system's when absent.
    pub ca_file: Option<String>,
}

/// One SSL_GET checker's TLS client: its options, and the client
/// configuration built from them once, by the checker's first probe (the
/// CA bundle is read then, on a blocking thread), not per probe. Making
/// the client reads nothing, so the engine can build and compare checker
/// specs (at start, at a reload) without touching the disk.
#[derive(Clone)]
pub struct TlsClient {
    /// What the checker asked for.
    options: TlsOptions,
    /// The configuration, or why it could not be built (reported by every
    /// probe, as a failed check); shared by the clones of this client.
    config: Arc<std::sync::OnceLock<Result<Arc<ClientConfig>, String>>>,
}

impl TlsClient {
    /// The client for `options`, built when first used.
    pub fn new(options: TlsOptions) -> TlsClient {
        TlsClient {
            options,
            config: Arc::default(),
        }
    }

    /// The configuration every probe of this checker shares, built (the
    /// CA bundle read) the first time. It may block: call it off the
    /// async threads.
    pub fn config(&self) -> Result<Arc<ClientConfig>, String> {
        self.config
            .get_or_init(|| client_config(&self.options))
            .clone()
    }
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("options", &self.options)
            .field("built", &self.config.get().map(Result::is_ok))
            .finish()
    }
}

/// Two clients are the same when asked for the same thing.
impl PartialEq for TlsClient {
    fn eq(&self, other: &TlsClient) -> bool {
        self.options == other.options
    }
}

impl Eq for TlsClient {}

/// Accepts any certificate; used only when verification is switched off.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A client configuration for `options`.
fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?;
    let mut config = if options.verify {
        let file = options.ca_file.as_deref().unwrap_or(SYSTEM_ROOTS);
        let mut roots = RootCertStore::empty();
        let certificates = CertificateDer::pem_file_iter(file)
            .map_err(|e| format!("tls: cannot read trusted roots from {file}: {e}"))?;
        for certificate in certificates {
            let certificate = certificate
                .map_err(|e| format!("tls: a certificate in {file} does not parse: {e}"))?;
            roots
                .add(certificate)
                .map_err(|e| format!("tls: a certificate in {file} is unusable: {e}"))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    };
    config.enable_sni = options.sni;
    Ok(Arc::new(config))
}

/// Send `request` over TLS to `target` and read the whole response;
/// `server_name` (SNI and the name verified) is the url's or the checker's
/// `virtualhost`, the server's address when neither has one.
pub fn fetch_blocking(
    to: Endpoint,
    request: &str,
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let name = match &server_name {
        Some(name) => ServerName::try_from(name.clone())
            .map_err(|_| format!("tls: {name:?} is not a server name"))?,
        None => ServerName::IpAddress(to.target.ip().into()),
    };
    let connection = ClientConnection::new(config, name).map_err(|e| format!("tls {to}: {e}"))?;
    let socket = net::connect_blocking(to, timeout)?;
    socket
        .set_read_timeout(Some(timeout))
        .and_then(|()| socket.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("tls {to}: {e}"))?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("tls {to}: {e}"))?;
    let mut response = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(response),
            Ok(n) => {
                if response.len() + n > MAX_BODY {
                    return Err(format!("{to}: the response exceeds {MAX_BODY} bytes"));
                }
                response.extend_from_slice(&chunk[..n]);
            }
            // A server that closes without close_notify still sent its answer.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(response),
            Err(e) => return Err(format!("tls {to}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn making_a_client_reads_nothing_and_its_first_use_says_what_is_wrong() {
        let options = TlsOptions {
            sni: true,
            verify: true,
            ca_file: Some("/nonexistent/director-ca.pem".into()),
        };
        let client = TlsClient::new(options);
        let clone = client.clone();
        assert!(client.config.get().is_none(), "nothing read yet");
        let error = clone.config().unwrap_err();
        assert!(error.contains("/nonexistent/director-ca.pem"), "{error}");
        assert!(client.config.get().is_some(), "built once, for every clone");
    }
}
