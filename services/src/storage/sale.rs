//! The `sales` table: exclusive rights, one row per piece sold (or being paid for).

use sea_orm::entity::prelude::*;

/// A sale: `reserved` while the card is charged, `paid` once it is the buyer's.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sales")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The piece sold (unique).
    pub piece_id: i64,
    /// The piece's music fingerprint (unique: near-identical pieces sell once).
    pub fingerprint: String,
    /// The account that bought it.
    pub buyer_id: i64,
    /// The public copyright ID, such as `MT-2026-7K3Q-9XPA` (unique).
    pub copyright_id: String,
    /// Where the sale is.
    pub status: Status,
    /// Price in the currency's minor unit (paise, cents).
    pub price_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The licence the buyer agreed to.
    pub licence_version: String,
    /// The checkout's idempotency key (unique), also given to the gateway.
    pub idempotency_key: String,
    /// The gateway's charge id, once paid.
    pub charge_id: Option<String>,
    /// The card's network, once paid.
    pub card_brand: Option<String>,
    /// The card's last four digits, once paid.
    pub card_last4: Option<String>,
    /// Unix time the piece was reserved for this buyer.
    pub reserved_at: i64,
    /// Unix time of the payment.
    pub paid_at: Option<i64>,
    /// Whom the certificate and the verification page name as the owner, as
    /// the buyer entered it at checkout; `None` for sales from before it was
    /// asked (they show the account's name).
    pub licensee: Option<String>,
    /// Its piece's melody as `models::music::similarity::Melody::to_bytes`
    /// writes it, its keys in `sale_grams`; `None` until they are recorded
    /// (sales from before 7 December 2026 are, as the server starts).
    pub melody: Option<Vec<u8>>,
    /// A digest of the purchase as asked (`services::sales::request_digest`),
    /// so that its key sent again with another request is refused; `None` for
    /// sales from before 7 December 2026.
    pub request_digest: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The piece sold.
    #[sea_orm(
        belongs_to = "super::piece::Entity",
        from = "Column::PieceId",
        to = "super::piece::Column::Id"
    )]
    Piece,
    /// The account that bought it.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::BuyerId",
        to = "super::user::Column::Id"
    )]
    Buyer,
    /// Its piece's melody, by index key.
    #[sea_orm(has_many = "super::sale_gram::Entity")]
    Grams,
}

impl Related<super::piece::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Piece.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Buyer.def()
    }
}

impl Related<super::sale_gram::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Grams.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// Where a sale is, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum Status {
    /// The piece is reserved while the card is charged.
    #[sea_orm(string_value = "reserved")]
    Reserved,
    /// Paid: the buyer holds the rights.
    #[sea_orm(string_value = "paid")]
    Paid,
}
