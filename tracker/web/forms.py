"""Form fields more than one page reads the same way."""

from __future__ import annotations


def medium_details(form) -> dict:
    """The descriptive fields of a medium from a form (the handover page's and the media page's)."""
    return {
        "pi_items": [item for item in form.get("pi_items", "").replace("、", ",").split(",")],
        "record_count": form.get("record_count") or 0, "quantity": form.get("quantity") or 1,
        "serial_number": form.get("serial_number", "").strip(), "seal_number": form.get("seal_number", "").strip(),
        "encrypted": form.get("encrypted") == "on", "encryption": form.get("encryption", "").strip(),
        "is_backup": form.get("is_backup") == "on",
    }
