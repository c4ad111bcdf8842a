//! The `sale_shingles` table: the music of every sold or reserved piece as
//! its shingles (`models::music::similarity`), indexed by shingle, so that a
//! new sale finds the sold pieces sharing its music without reading them all.

use sea_orm::entity::prelude::*;

/// One shingle of a sale's piece.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_shingles")]
pub struct Model {
    /// The shingle, its 64 bits stored as a signed integer.
    #[sea_orm(primary_key, auto_increment = false)]
    pub shingle: i64,
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
