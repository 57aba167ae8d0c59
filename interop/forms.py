from django import forms
from django.utils.translation import gettext_lazy as _


class BundleImportForm(forms.Form):
    file = forms.FileField(label=_("FHIR file (JSON)"), required=False,
                           help_text=_("A Bundle exported from your hospital's record, at most 2 MB."))
    bundle = forms.CharField(label=_("Or paste the Bundle"), required=False, max_length=2 * 1024 * 1024,
                             widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))
    confirm_patient = forms.BooleanField(
        label=_("Yes, overwrite the patient's data with the data of the file"), required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > 2 * 1024 * 1024:
                self.add_error("file", _("The file is larger than 2 MB: that is no referral's Bundle."))
                return cleaned
            cleaned["text"] = upload.read()
        else:
            cleaned["text"] = cleaned.get("bundle") or ""
        if not cleaned["text"]:
            self.add_error(None, _("Upload a file or paste the Bundle."))
        return cleaned
