"""Forms of the report pages: they collect and redisplay input; the services validate it.

The rules (categories, coordinates inside the province, photo types and sizes, contact formats)
are checked by :mod:`tinhso.reports.intake` and friends; a :class:`UserError` they raise is
attached to the form field it names (``err.field``), so the message appears next to that field
and everything the user typed is kept. The forms only check what the browser must send at all.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import UserError
from tinhso.reports import intake, media
from tinhso.reports.media import MAX_PHOTOS

IMAGE_TYPES = "image/jpeg,image/png,image/webp"


def user_message(err: UserError) -> str:
    """The error's message in the language of the current request."""
    return err.message_en if (get_language() or "vi").startswith("en") else err.message_vi


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotosField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; always cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": IMAGE_TYPES}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultiplePhotosField, self).clean(item, initial) for item in items if item]


class UserErrorFormMixin:
    """Attach a service :class:`UserError` to the field it names (else to the whole form)."""

    field_aliases: ClassVar[dict[str, str]] = {}

    def add_user_error(self, err: UserError) -> None:
        name = self.field_aliases.get(err.field or "", err.field)
        self.add_error(name if name in self.fields else None, user_message(err))


class ReportForm(UserErrorFormMixin, forms.Form):
    """The citizen's report (``/phan-anh``)."""

    field_aliases: ClassVar[dict[str, str]] = {"service_code": "category"}

    category = forms.ChoiceField(label=_("Lĩnh vực"), error_messages={
        "required": _("Chọn lĩnh vực của phản ánh."),
        "invalid_choice": _("Lĩnh vực đã chọn không còn; hãy chọn lại."),
    })
    description = forms.CharField(
        label=_("Nội dung phản ánh"), required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
    )
    address = forms.CharField(label=_("Địa chỉ, mô tả vị trí (không bắt buộc)"), required=False, max_length=255)
    lat = forms.CharField(label=_("Vĩ độ"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    lon = forms.CharField(label=_("Kinh độ"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    photos = MultiplePhotosField(label=_("Ảnh (tối đa 5, JPEG/PNG/WebP, mỗi ảnh ≤ 10 MB)"))
    reporter_name = forms.CharField(label=_("Họ tên"), required=False)
    reporter_phone = forms.CharField(label=_("Số điện thoại"), required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    reporter_email = forms.CharField(label=_("Email"), required=False,
                                     widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    public = forms.BooleanField(label=_("Đồng ý công khai phản ánh (không kèm thông tin cá nhân)"),
                                required=False, initial=True)
    # "Someone already reported this": the tracking code of a nearby open report the citizen says is
    # the same problem (radio buttons the form's script adds to the suggestions; tinhso.reports.support).
    same_as = forms.CharField(label=_("Cùng một việc với phản ánh"), required=False, max_length=40)
    # A key per rendered form: a double click or a retried POST returns the first report.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + list(categories)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self):
        data = super().clean()
        if not (data.get("lat") or "").strip() or not (data.get("lon") or "").strip():
            self.add_error("lat", _("Chọn vị trí: bấm “Dùng vị trí của tôi” hoặc đặt ghim trên bản đồ."))
        if len(data.get("photos") or []) > MAX_PHOTOS:
            self.add_error("photos", _("Tối đa 5 ảnh."))
        self._precheck(data)
        return data

    def _precheck(self, data: dict) -> None:
        """Every field's error in one round: the service's own checks of the fields that do not depend
        on each other, each run on its own (the service stops at its first error). The service
        (:func:`tinhso.reports.intake.submit_report`) still checks everything again and is the authority."""
        checks = [
            ("description", lambda: intake.clean_description(data.get("description"))),
            ("address", lambda: intake.clean_address(data.get("address"))),
            ("reporter_name", lambda: intake.clean_contact(name=data.get("reporter_name"))),
            ("reporter_phone", lambda: intake.clean_contact(phone=data.get("reporter_phone"))),
            ("reporter_email", lambda: intake.clean_contact(email=data.get("reporter_email"))),
        ]
        if (data.get("lat") or "").strip() and (data.get("lon") or "").strip():
            checks.append(("lat", lambda: intake.locate_in_province(data["lat"], data["lon"])))
        for name, check in checks:
            if name in self.errors:  # one message per field: the form's own comes first
                continue
            try:
                check()
            except UserError as err:
                if (self.field_aliases.get(err.field or "", err.field) or name) not in self.errors:
                    self.add_user_error(err)
        photos = data.get("photos") or []
        if photos and self.errors and "photos" not in self.errors:
            # Only on a round that fails anyway (a good round leaves the photos to the service, which
            # reads them once): the photos' type, size and pixels, without re-encoding them.
            try:
                for upload in photos:
                    media.probe(media.read_upload(upload, field="photos"), name=getattr(upload, "name", ""),
                                field="photos")
            except UserError as err:
                self.add_user_error(err)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "category": d["category"], "description": d.get("description", ""), "address": d.get("address", ""),
            "lat": d["lat"], "lon": d["lon"], "photos": d.get("photos") or [],
            "reporter_name": d.get("reporter_name", ""), "reporter_phone": d.get("reporter_phone", ""),
            "reporter_email": d.get("reporter_email", ""), "public": bool(d.get("public")),
            "idempotency_key": d.get("idempotency_key", ""),
        }


class LookupForm(forms.Form):
    ma = forms.CharField(label=_("Mã phản ánh"), max_length=40)
    k = forms.CharField(label=_("Mã bí mật (nếu bạn là người gửi)"), max_length=40, required=False,
                        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))


class RecoverLinkForm(forms.Form):
    """Lost private link: the tracking code and the e-mail address given with the report."""

    code = forms.CharField(label=_("Mã phản ánh"), max_length=40)
    email = forms.EmailField(label=_("Email đã ghi khi gửi phản ánh"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class RatingForm(UserErrorFormMixin, forms.Form):
    rating = forms.TypedChoiceField(label=_("Mức hài lòng"), choices=[(str(i), str(i)) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Ý kiến (bắt buộc nếu muốn đề nghị xử lý lại)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}))
    field_aliases: ClassVar[dict[str, str]] = {"note": "comment"}


class ReopenRequestForm(UserErrorFormMixin, forms.Form):
    comment = forms.CharField(label=_("Vì sao cần xử lý lại?"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}))
    field_aliases: ClassVar[dict[str, str]] = {"note": "comment"}


class ProvideInfoForm(UserErrorFormMixin, forms.Form):
    answer = forms.CharField(label=_("Thông tin bổ sung"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}))
    field_aliases: ClassVar[dict[str, str]] = {"note": "answer"}
