from rest_framework.permissions import BasePermission

from . import roles


class HasStaffRole(BasePermission):
    """Any of the staff roles. Views narrow this down further."""

    def has_permission(self, request, view) -> bool:
        return bool(roles.roles_of(request.user))
