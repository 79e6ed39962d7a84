"""The demo data set: the two scenarios of the multi-trainer design, built through the services.

Scenario 1, "German A1": 300 students in 12 full batches of 25. Dr. Sarah Weber leads the
course; her three assistants are the primary trainers of four batches each (John Miller 1-4,
Maria Garcia 5-8, Alex Chen 9-12).

Scenario 2, "English B2": 500 students in 25 full batches of 20. Two leads (Dr. Emily Smith
for batches 1-12, Dr. Robert Johnson for 13-25) teach one batch each, eight assistants teach
the other 23 (2-3 each) and three substitutes wait on call with no batch yet.

Every trainer's batches use distinct slot patterns that never overlap, so nobody is booked
twice, and nobody has more than the default cap of four batches.

The build is idempotent: users are found by email, courses by code and batches by name within
their course; only what is missing is created, so a second run changes nothing. Batches and
enrollments go through ``allocation.services`` and ``enrollments.services`` so the seat
counters and every rule hold exactly as they would for data entered by hand.

``people`` names the logins, trainers and students; ``plan`` computes the batches from a date;
``seeding`` builds it all (``seed``).
"""

from .people import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ALEX,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    EMILY,
    ENGLISH_ASSISTANTS,
    ENGLISH_SUBSTITUTES,
    JOHN,
    MARIA,
    ROBERT,
    SARAH,
    Student,
    Trainer,
    demo_logins,
)
from .plan import english_plan, german_plan
from .seeding import CourseReport, SeedReport, seed

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "ALEX",
    "DEMO_PASSWORD",
    "EMAIL_DOMAIN",
    "EMILY",
    "ENGLISH_ASSISTANTS",
    "ENGLISH_SUBSTITUTES",
    "JOHN",
    "MARIA",
    "ROBERT",
    "SARAH",
    "CourseReport",
    "SeedReport",
    "Student",
    "Trainer",
    "demo_logins",
    "english_plan",
    "german_plan",
    "seed",
]
