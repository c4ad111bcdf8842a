//! Who a piece belongs to: an account, or, until the visitor registers or logs
//! in, the visitor's browser session.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            big_integer_null(Pieces::OwnerId),
            string_len_null(Pieces::Visitor, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Pieces::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Pieces::OwnerId, Pieces::Visitor] {
            manager.create_index(index(Pieces::Table, [column])).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_pieces_owner_id", "idx_pieces_visitor"] {
            manager
                .drop_index(Index::drop().name(name).table(Pieces::Table).to_owned())
                .await?;
        }
        for column in [Pieces::OwnerId, Pieces::Visitor] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Pieces::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Pieces {
    Table,
    OwnerId,
    Visitor,
}
