from . import access


def role(request):
    """``user_role`` for templates (navigation); permissions are still checked in views."""
    return {"user_role": access.role_of(getattr(request, "user", None))}
