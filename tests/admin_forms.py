"""Posting Django admin change forms back as a browser would."""

from django import forms


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def changeform_data(response) -> dict:
    """What a browser posts back from an admin change page when nothing is edited."""
    data = {}
    bound_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= management_form(
            formset.prefix, total=formset.initial_form_count(), initial=formset.initial_form_count()
        )
        bound_forms += formset.initial_forms
    for form in bound_forms:
        for field in form:
            value, widget = field.value(), field.field.widget
            if isinstance(widget, forms.MultiWidget):
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{field.html_name}_{index}"] = "" if part is None else str(part)
            elif isinstance(field.field, forms.BooleanField):
                if value:
                    data[field.html_name] = "on"
            else:
                data[field.html_name] = "" if value is None else str(value)
    return data
