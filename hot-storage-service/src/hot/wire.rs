//! Hot storage's request and response bodies, from the keyframe-wire crate
//! (wire/src/hot.rs, wire/src/catalog.rs); the OpenAPI document is generated from them.

pub use keyframe_wire::catalog::{Chain, NativeCurrency, TokenInfo, TokenList};
pub use keyframe_wire::hot::{
    CommitRequest, ConfigResponse, CreateRequest, DeviceIn, DeviceInfo, DeviceList, DeviceRef,
    Pending, RecoverRequest, RecoverResponse, RefreshRequest, RegisterRequest, RevokeRequest,
    VersionRef, WalletRequest, WalletResponse,
};
