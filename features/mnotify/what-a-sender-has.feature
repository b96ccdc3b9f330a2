@mnotify
Feature: What an MNotify sender already has
  As the QA team of a sender information system
  I want paging, ordering, isolation and reading checked on what my sender already sent
  So that a run that creates nothing still holds the real MNotify to what the vendor documents

  These scenarios create nothing on a real target. Each reads the first records of the sender by
  id, the vendor's documented default order; a sender with fewer records than a scenario needs
  skips it, saying so: give a sender with history, or run with --allow-mutating, whose scenarios
  send some (this file's name puts it after theirs). A Herald's sender is topped up first.

  Background:
    Given I am MNotify sender "sender-a"

  @paging
  Scenario: Pages of one notification walk the list in order
    Given the MNotify sender already has at least 3 notifications
    When I send an MNotify GET to "/api/Notification?Page=2&ItemsPerPage=1&OrderField=Id"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{notification 2}"
    When I send an MNotify GET to "/api/Notification?Page=3&ItemsPerPage=1&OrderField=Id"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{notification 3}"

  @paging
  Scenario: A page of two continues the one before
    Given the MNotify sender already has at least 4 notifications
    When I send an MNotify GET to "/api/Notification?Page=2&ItemsPerPage=2&OrderField=Id"
    Then the MNotify answer is a list of 2 items
    And the MNotify answer has "[0].id" equal to "{notification 3}"
    And the MNotify answer has "[1].id" equal to "{notification 4}"

  @paging
  Scenario: Notifications are ordered by createdAt either way
    Given the MNotify sender already has at least 2 notifications
    When I send an MNotify GET to "/api/Notification?ItemsPerPage=50&OrderField=createdAt%20desc"
    Then the MNotify answer is ordered by "createdAt" descending
    When I send an MNotify GET to "/api/Notification?ItemsPerPage=50&OrderField=createdAt"
    Then the MNotify answer is ordered by "createdAt" ascending

  @paging
  Scenario: SearchBy finds one of the sender's notifications
    Given the MNotify sender already has at least 2 notifications
    When I send an MNotify GET to "/api/Notification?SearchBy={notification 2}"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{notification 2}"

  @paging @templates
  Scenario: Templates page and search like notifications
    Given the MNotify sender already has at least 2 templates
    When I send an MNotify GET to "/api/Template?Page=2&ItemsPerPage=1&OrderField=Id"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{template 2}"
    When I send an MNotify GET to "/api/Template?SearchBy={template 2}"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{template 2}"

  @paging
  Scenario: The official client's lowercase paths are served
    When I send an MNotify GET to "/api/notification?Page=1&ItemsPerPage=1"
    Then the MNotify answer is 200
    When I send an MNotify GET to "/api/template?Page=1&ItemsPerPage=1"
    Then the MNotify answer is 200

  @sending
  Scenario: A notification the sender has reads as the official client reads it
    Every answer is read as the official .NET client reads it: its required members present,
    on the recipients and their messages too.

    Given the MNotify sender already has at least 1 notification
    When I send an MNotify GET to "/api/Notification/{notification 1}"
    Then the MNotify answer is 200
    And the MNotify answer has "id" equal to "{notification 1}"

  @templates
  Scenario: A template the sender has reads as the official client reads it
    Given the MNotify sender already has at least 1 template
    When I send an MNotify GET to "/api/Template/{template 1}"
    Then the MNotify answer is 200
    And the MNotify answer has "id" equal to "{template 1}"

  @auth @cert-sender-b
  Scenario: Another sender's list holds none of the sender's notifications
    Given the MNotify sender already has at least 1 notification
    And I am MNotify sender "sender-b"
    When I send an MNotify GET to "/api/Notification?Page=1&ItemsPerPage=50&OrderField=Id"
    Then the MNotify answer lists none of the notifications found before
    When I send an MNotify GET to "/api/Notification?SearchBy={notification 1}"
    Then the MNotify answer is a list of 0 items

  @auth @cert-sender-b
  Scenario: Another sender cannot read the sender's notification
    Given the MNotify sender already has at least 1 notification
    And I am MNotify sender "sender-b"
    When I send an MNotify GET to "/api/Notification/{notification 1}"
    Then the MNotify answer is a problem 403

  @auth @cert-sender-b
  Scenario: Another sender's templates hold none of the sender's, nor read them
    Given the MNotify sender already has at least 1 template
    And I am MNotify sender "sender-b"
    When I send an MNotify GET to "/api/Template?Page=1&ItemsPerPage=50&OrderField=Id"
    Then the MNotify answer lists none of the templates found before
    When I send an MNotify GET to "/api/Template/{template 1}"
    Then the MNotify answer is a problem 403
