//! The domain error in S3's dialect: its code (and so its status) and message, as XML by s3s.

use cognate_core::Error;
use s3s::{S3Error, S3ErrorCode};

pub fn to_s3(error: Error) -> S3Error {
    let code = |name: &str| {
        S3ErrorCode::from_bytes(name.as_bytes()).unwrap_or(S3ErrorCode::InvalidRequest)
    };
    let (code, message) = match &error {
        Error::Storage(storage, message) => (code(storage.as_str()), message.clone()),
        // S3 says no more than this, whatever the policy.
        Error::AccessDenied(_) => (S3ErrorCode::AccessDenied, "Access Denied".to_owned()),
        Error::ExpiredToken(_) => (
            S3ErrorCode::ExpiredToken,
            "The provided token has expired.".to_owned(),
        ),
        Error::MalformedPolicyDocument(message) => (code("MalformedPolicy"), message.clone()),
        Error::InvalidParameter(message) => (S3ErrorCode::InvalidArgument, message.clone()),
        Error::TooManyRequests(message) => (S3ErrorCode::SlowDown, message.clone()),
        Error::UnrecognizedClient(message) => (S3ErrorCode::InvalidAccessKeyId, message.clone()),
        Error::InvalidSignature(message) => (S3ErrorCode::SignatureDoesNotMatch, message.clone()),
        Error::Internal(_) => {
            tracing::error!(error = %error, "internal error");
            (
                S3ErrorCode::InternalError,
                "We encountered an internal error. Please try again.".to_owned(),
            )
        }
        other => (S3ErrorCode::InvalidRequest, other.message().to_owned()),
    };
    S3Error::with_message(code, message)
}
