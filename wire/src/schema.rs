//! OpenAPI schemas of the types whose JSON form is a checked string (ids,
//! base64 blobs): utoipa cannot derive them from the byte arrays inside.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::{AuthorityKey, Ciphertext, DeviceId, ShareBlob, SplitId, WalletId};

const UUID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

fn uuid_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(UUID_PATTERN))
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .description(Some(description))
        .into()
}

fn base64_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_encoding("base64")
        .description(Some(description))
        .into()
}

impl PartialSchema for WalletId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("a wallet id")
    }
}
impl ToSchema for WalletId {}

impl PartialSchema for DeviceId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("a device id; the nil UUID names the recovery pair")
    }
}
impl ToSchema for DeviceId {}

impl PartialSchema for SplitId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9a-f]{32}$"))
            .description(Some("a split id: 32 lowercase hex characters"))
            .into()
    }
}
impl ToSchema for SplitId {}

impl PartialSchema for ShareBlob {
    fn schema() -> RefOr<Schema> {
        base64_schema("share envelope, at most 512 bytes")
    }
}
impl ToSchema for ShareBlob {
    fn name() -> Cow<'static, str> {
        "Share".into()
    }
}

impl PartialSchema for Ciphertext {
    fn schema() -> RefOr<Schema> {
        base64_schema("sealed cold share, at most 4096 bytes")
    }
}
impl ToSchema for Ciphertext {}

impl PartialSchema for AuthorityKey {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Za-z0-9_-]{43}$"))
            .content_encoding("base64url")
            .description(Some(
                "a wallet's authority public key: 32 bytes of ed25519, base64url without padding",
            ))
            .into()
    }
}
impl ToSchema for AuthorityKey {}

fn object(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .into()
}

impl PartialSchema for crate::policy::SimulateRequest {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "An intent to evaluate against the operator's policy (docs/policy.md).",
            ))
            .property(
                "intent",
                object("the canonical intent (docs/policy.md, \"The intent\")"),
            )
            .required("intent")
            .property(
                "usage",
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(object(
                        "a past usage entry { layer, rule, at, value?, lamports?, tokens? }",
                    ))
                    .build(),
            )
            .property(
                "at",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some(
                        "evaluate as of this instant, Unix seconds (default: now)",
                    )),
            )
            .property(
                "user_rules",
                object("user rules to evaluate beside the operator's (a policy document)"),
            )
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
            .into()
    }
}
impl ToSchema for crate::policy::SimulateRequest {}

impl PartialSchema for crate::policy::SimulateResponse {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("The evaluation (docs/policy.md, \"The evaluation\")."))
            .property(
                "effect",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["allow", "ask", "approve", "deny"])),
            )
            .required("effect")
            .property("silent", ObjectBuilder::new().schema_type(Type::Boolean))
            .property(
                "deciding_rule",
                object("{ layer, id }; absent when the default decided"),
            )
            .property(
                "per_rule",
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(object(
                        "{ layer, id, effect, matched, first_failed_condition? }",
                    ))
                    .build(),
            )
            .required("per_rule")
            .property("intent", object("the intent evaluated"))
            .required("intent")
            .property(
                "record",
                object("the usage entry to record if the request goes ahead"),
            )
            .into()
    }
}
impl ToSchema for crate::policy::SimulateResponse {}

impl PartialSchema for crate::policy::RecoverWithIntent {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "One hot share, by device (the recovery pair when absent), version and split; with the intent of the signature it is for, hot storage evaluates the operator's policy first (docs/api.md).",
            ))
            .property("wallet", WalletId::schema())
            .required("wallet")
            .property("device", DeviceId::schema())
            .property("version", ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
            .property("split", SplitId::schema())
            .property(
                "intent",
                object("the intent of the signature (docs/policy.md, \"The intent\")"),
            )
            .property("parts", intent_parts())
            .property(
                "approval",
                string("when the policy's effect is approve: the evaluation_id of the webhook's yes (POST /v2/policy/approvals), used once"),
            )
            .property(
                "on_screen",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("required with intent: whether the user approved this very request on the consent screen; a decision that needs the screen (ask, approve without silent) without it is 409 POLICY_CHANGED")),
            )
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
            .into()
    }
}
impl ToSchema for crate::policy::RecoverWithIntent {}

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn closed(b: ObjectBuilder) -> RefOr<Schema> {
    b.additional_properties(Some(
        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
    ))
    .into()
}

fn integer(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .description(Some(description))
}

fn decision(description: &str) -> ObjectBuilder {
    string(description).enum_values(Some(
        crate::policy::Decision::ALL.map(crate::policy::Decision::as_str),
    ))
}

impl PartialSchema for crate::policy::SignedUserRules {
    fn schema() -> RefOr<Schema> {
        closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                    "The user's own rules: a policy document's JSON text signed by the wallet's authority key (docs/policy.md, \"Layers and precedence\").",
                ))
                .property("wallet", WalletId::schema())
                .required("wallet")
                .property("version", integer("grows with every change; a stored set is replaced only by a higher version"))
                .required("version")
                .property("rules", string("the policy document, exactly the text signed (at most 16384 bytes)"))
                .required("rules")
                .property("signature", string("ed25519 by the wallet's authority key over \"keyframe-user-rules-v1\\n<wallet>\\n<version>\\n<rules>\", base64url without padding"))
                .required("signature"),
        )
    }
}
impl ToSchema for crate::policy::SignedUserRules {}

impl PartialSchema for crate::policy::PolicyState {
    fn schema() -> RefOr<Schema> {
        closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                    "What the iFrame evaluates a request against before it rebuilds the key (docs/policy.md, \"Enforced twice\").",
                ))
                .property("operator", object("the operator's policy document in force"))
                .required("operator")
                .property("user_rules", crate::policy::SignedUserRules::schema())
                .property(
                    "usage",
                    utoipa::openapi::schema::ArrayBuilder::new()
                        .items(object(
                            "a usage entry { layer, rule, at, value?, lamports?, tokens? } inside the longest window",
                        ))
                        .build(),
                )
                .property("now", integer("the server's clock, Unix seconds"))
                .required("now"),
        )
    }
}
impl ToSchema for crate::policy::PolicyState {}

/// A batch's parts beside its whole intent (`RecoverWithIntent::parts`,
/// `ApprovalRequest::parts`).
fn intent_parts() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(object(
            "the intent of one transaction of a batch (keyframe_signTransactions)",
        ))
        .max_items(Some(crate::policy::MAX_INTENT_PARTS))
        .description(Some(format!(
            "with intent, for a batch: each transaction's intent, intent being the whole; hot storage judges the strictest of the whole and the parts, and counts usage once, for the whole (default none; more than {} is 400 BAD_REQUEST)",
            crate::policy::MAX_INTENT_PARTS
        )))
        .build()
}

impl PartialSchema for crate::policy::ApprovalRequest {
    fn schema() -> RefOr<Schema> {
        closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                    "A request whose policy effect is approve, for the operator's approval webhook.",
                ))
                .property("wallet", WalletId::schema())
                .required("wallet")
                .property("device", DeviceId::schema())
                .property("intent", object("the intent (docs/policy.md, \"The intent\")"))
                .required("intent")
                .property("parts", intent_parts()),
        )
    }
}
impl ToSchema for crate::policy::ApprovalRequest {}

impl PartialSchema for crate::policy::ApprovalResponse {
    fn schema() -> RefOr<Schema> {
        closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                    "The webhook said yes; recover honours evaluation_id once.",
                ))
                .property(
                    "evaluation_id",
                    string("send as `approval` with the recover request"),
                )
                .required("evaluation_id")
                .property("approved", ObjectBuilder::new().schema_type(Type::Boolean))
                .required("approved")
                .property(
                    "silent",
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .description(Some("the deciding rule is silent: no screen after the yes")),
                ),
        )
    }
}
impl ToSchema for crate::policy::ApprovalResponse {}

impl PartialSchema for crate::policy::ActivityReport {
    fn schema() -> RefOr<Schema> {
        closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                    "An outcome only the iFrame sees: rejected on the screen, or denied by its own evaluation.",
                ))
                .property("wallet", WalletId::schema())
                .required("wallet")
                .property("device", DeviceId::schema())
                .property("intent", object("the intent"))
                .required("intent")
                .property("decision", decision("rejected or denied"))
                .required("decision")
                .property("rule", object("{ layer, id } of the deciding rule")),
        )
    }
}
impl ToSchema for crate::policy::ActivityReport {}

impl PartialSchema for crate::policy::ActivityList {
    fn schema() -> RefOr<Schema> {
        let entry = closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("id", string("opaque"))
                .required("id")
                .property("at", integer("Unix milliseconds"))
                .required("at")
                .property("decision", decision("what became of the request"))
                .required("decision")
                .property("rule", object("{ layer, id } of the deciding rule"))
                .property("reason", string("why, in words"))
                .property("device", DeviceId::schema())
                .property("intent", object("the decoded request"))
                .required("intent"),
        );
        closed(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some("The wallet's activity log, newest first."))
                .property(
                    "entries",
                    utoipa::openapi::schema::ArrayBuilder::new()
                        .items(entry)
                        .build(),
                )
                .required("entries"),
        )
    }
}
impl ToSchema for crate::policy::ActivityList {}
