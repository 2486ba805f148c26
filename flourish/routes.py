"""The application's own pages, which look across the domains: VAR's "what needs attention", everyone's notices and
the administrators' users, patients (subject access, erasure) and audit log."""

from litestar import Router

from flourish.admin import AdminController, AdminPatientsController, AdminUsersController
from flourish.manage import ManageController
from flourish.notices import NoticesController

router = Router(
    path="/",
    route_handlers=[
        ManageController,
        NoticesController,
        AdminController,
        AdminUsersController,
        AdminPatientsController,
    ],
)
