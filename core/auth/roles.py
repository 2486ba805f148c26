from enum import StrEnum


class Role(StrEnum):
    LINK_WORKER = "link_worker"
    COORDINATOR = "coordinator"
    VAR_MANAGER = "var_manager"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.LINK_WORKER: "Link worker",
    Role.COORDINATOR: "VCSE coordinator",
    Role.VAR_MANAGER: "VAR manager",
    Role.COMMISSIONER: "Commissioner",
    Role.ADMIN: "Administrator",
}

#: Roles that may see individual patients. Commissioners never do.
PATIENT_ROLES = frozenset({Role.LINK_WORKER, Role.ADMIN})
