//! The one domain error. Variants are Cognito's exception names; each adapter renders them in
//! its own dialect (`{"__type","message"}` for the JSON API, status codes for REST).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    NotAuthorized(String),
    UserNotFound(String),
    UsernameExists(String),
    InvalidPassword(String),
    UserNotConfirmed(String),
    PasswordResetRequired(String),
    CodeMismatch(String),
    ExpiredCode(String),
    TooManyFailedAttempts(String),
    ResourceNotFound(String),
    InvalidParameter(String),
    TooManyRequests(String),
    LimitExceeded(String),
    AliasExists(String),
    GroupExists(String),
    UnsupportedOperation(String),
    UnknownOperation(String),
    InvalidSignature(String),
    UnrecognizedClient(String),
    MissingAuthenticationToken(String),
    /// The request body is not the JSON the operation takes.
    Serialization(String),
    /// Details go to the log only; clients see a generic message.
    Internal(String),
}

impl Error {
    /// The Cognito exception name (`__type`).
    pub fn name(&self) -> &'static str {
        use Error::*;
        match self {
            NotAuthorized(_) => "NotAuthorizedException",
            UserNotFound(_) => "UserNotFoundException",
            UsernameExists(_) => "UsernameExistsException",
            InvalidPassword(_) => "InvalidPasswordException",
            UserNotConfirmed(_) => "UserNotConfirmedException",
            PasswordResetRequired(_) => "PasswordResetRequiredException",
            CodeMismatch(_) => "CodeMismatchException",
            ExpiredCode(_) => "ExpiredCodeException",
            TooManyFailedAttempts(_) => "TooManyFailedAttemptsException",
            ResourceNotFound(_) => "ResourceNotFoundException",
            InvalidParameter(_) => "InvalidParameterException",
            TooManyRequests(_) => "TooManyRequestsException",
            LimitExceeded(_) => "LimitExceededException",
            AliasExists(_) => "AliasExistsException",
            GroupExists(_) => "GroupExistsException",
            UnsupportedOperation(_) => "UnsupportedOperationException",
            UnknownOperation(_) => "UnknownOperationException",
            InvalidSignature(_) => "InvalidSignatureException",
            UnrecognizedClient(_) => "UnrecognizedClientException",
            MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            Serialization(_) => "SerializationException",
            Internal(_) => "InternalErrorException",
        }
    }

    /// The message a client may see. Internal details are never part of it.
    pub fn message(&self) -> &str {
        use Error::*;
        match self {
            Internal(_) => "An internal error occurred.",
            NotAuthorized(m)
            | UserNotFound(m)
            | UsernameExists(m)
            | InvalidPassword(m)
            | UserNotConfirmed(m)
            | PasswordResetRequired(m)
            | CodeMismatch(m)
            | ExpiredCode(m)
            | TooManyFailedAttempts(m)
            | ResourceNotFound(m)
            | InvalidParameter(m)
            | TooManyRequests(m)
            | LimitExceeded(m)
            | AliasExists(m)
            | GroupExists(m)
            | UnsupportedOperation(m)
            | UnknownOperation(m)
            | InvalidSignature(m)
            | UnrecognizedClient(m)
            | MissingAuthenticationToken(m)
            | Serialization(m) => m,
        }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, Error::Internal(_))
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::Internal(detail.to_string())
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidParameter(message.into())
    }

    pub fn incorrect_credentials() -> Self {
        Error::NotAuthorized("Incorrect username or password.".into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(detail) => write!(f, "{}: {detail}", self.name()),
            other => write!(f, "{}: {}", other.name(), other.message()),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
