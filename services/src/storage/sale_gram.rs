//! The `sale_grams` table: the index keys of every sold or reserved piece's
//! melody (`models::music::similarity::Melody::keys`), by key, so that a new
//! sale finds the sold pieces sharing its music without reading them all.

use sea_orm::entity::prelude::*;

/// One index key of a sale's piece.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_grams")]
pub struct Model {
    /// The key, its 64 bits stored as a signed integer.
    #[sea_orm(primary_key, auto_increment = false)]
    pub gram: i64,
    /// The sale whose piece holds it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sale_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The sale whose piece holds it.
    #[sea_orm(
        belongs_to = "super::sale::Entity",
        from = "Column::SaleId",
        to = "super::sale::Column::Id",
        on_delete = "Cascade"
    )]
    Sale,
}

impl Related<super::sale::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sale.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
