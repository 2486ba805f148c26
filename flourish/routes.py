"""The application's own pages, which look across the domains: VAR's "what needs attention" and
the administrators' users, patients (subject access, erasure) and audit log."""

from litestar import Router

from flourish.admin import AdminController, AdminPatientsController, AdminUsersController
from flourish.manage import ManageController

router = Router(
    path="/",
    route_handlers=[ManageController, AdminController, AdminUsersController, AdminPatientsController],
)
