"""What the API shows of each row. ID numbers and mobiles go through ``enterprises.validators``'
masking unless the token has ``persons:read-full`` (the view puts ``full`` in the context)."""

from rest_framework import serializers

from appointments.models import Appointment, Filing
from enterprises.models import Enterprise, Person, Town
from enterprises.validators import mask_id_number, mask_mobile
from training.models import TrainingAttendance, TrainingSession


class TownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Town
        fields = ["id", "code", "name"]


class EnterpriseSerializer(serializers.ModelSerializer):
    town = TownSerializer(allow_null=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "name",
            "town",
            "industry",
            "scale",
            "requires_cqo",
            "high_risk",
            "benchmark",
            "established_on",
            "deregistered_on",
            "created_at",
            "updated_at",
        ]


class PersonSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField(
        help_text="Masked (3401**********1234) unless the token has persons:read-full."
    )
    mobile = serializers.SerializerMethodField(
        help_text="Masked (139****5678) unless the token has persons:read-full."
    )

    class Meta:
        model = Person
        fields = ["id", "name", "id_number", "mobile", "education", "title", "years_in_quality"]

    def _full(self) -> bool:
        return bool(self.context.get("full"))

    def get_id_number(self, person) -> str:
        return person.id_number if self._full() else mask_id_number(person.id_number)

    def get_mobile(self, person) -> str:
        return person.mobile if self._full() else mask_mobile(person.mobile)


class AppointmentSerializer(serializers.ModelSerializer):
    person = PersonSerializer()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "enterprise_id",
            "person",
            "position",
            "is_senior_manager",
            "is_principal",
            "appointed_on",
            "filed_on",
            "ended_on",
            "end_reason",
        ]


class FilingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Filing
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "source",
            "enterprise_id",
            "appointment_id",
            "replaces_id",
            "end_date",
            "end_reason",
            "submitted_at",
            "reviewed_at",
            "approved_on",
            "is_late",
            "created_at",
        ]


class TrainingSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingSession
        fields = ["id", "title", "kind", "starts_on", "ends_on", "hours", "organiser"]


class TrainingRecordSerializer(serializers.ModelSerializer):
    session = TrainingSessionSerializer()
    person_name = serializers.CharField(source="person.name")

    class Meta:
        model = TrainingAttendance
        fields = [
            "id",
            "person_id",
            "person_name",
            "session",
            "attended",
            "hours",
            "score",
            "passed",
            "certificate_number",
        ]


class ChangeSerializer(serializers.Serializer):
    change_id = serializers.IntegerField(
        help_text="Increasing within one resource: pass the last one seen as ?after= next time."
    )
    at = serializers.DateTimeField()
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    id = serializers.IntegerField(help_text="The row's id in its resource.")
    object = serializers.JSONField(
        allow_null=True,
        help_text="The row as its list endpoint shows it now; null once it is deleted.",
    )


class ChangesPageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    last = serializers.IntegerField(
        allow_null=True, help_text="change_id to pass as ?after= on the next call."
    )
    more = serializers.BooleanField(help_text="True when another page is already waiting.")


class FigureSerializer(serializers.Serializer):
    population = serializers.IntegerField()
    counted = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class TownFigureSerializer(FigureSerializer):
    town = serializers.CharField()


class IndustryFigureSerializer(FigureSerializer):
    industry = serializers.CharField()


class TargetStatisticsSerializer(FigureSerializer):
    code = serializers.CharField()
    deadline = serializers.DateField()
    by_town = TownFigureSerializer(many=True)
    by_industry = IndustryFigureSerializer(many=True)


class StatisticsSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    targets = TargetStatisticsSerializer(many=True)
